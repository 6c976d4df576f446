package workforce

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"switchboard/validation"
)

// AgentColumns are the columns of the agents CSV. Lists are separated by ";",
// skills and capacities are "name:number"; an empty capacity or voice_blocks
// cell takes the configured defaults, voice_blocks "none" blocks nothing;
// auto_answer is true or false (empty: false), and files written before it
// existed, without that last column, are read as they were.
var AgentColumns = []string{"id", "name", "time_zone", "languages", "skills", "capacity", "voice_blocks", "contact", "auto_answer"}

// ReadAgentsCSV reads agents from CSV with a header row; errors name the row
// (rows[0] is the first after the header) and the column.
func ReadAgentsCSV(r io.Reader) ([]Agent, validation.Errors) {
	var errs validation.Errors
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		errs.Add("body", "is not CSV: %v", err)
		return nil, errs
	}
	if len(recs) == 0 || !slices.Equal(recs[0], AgentColumns) && !slices.Equal(recs[0], AgentColumns[:len(AgentColumns)-1]) {
		errs.Add("body", "the header must be %s", strings.Join(AgentColumns, ","))
		return nil, errs
	}
	cols := len(recs[0])
	var out []Agent
	for i, rec := range recs[1:] {
		p := fmt.Sprintf("rows[%d]", i)
		if len(rec) != cols {
			errs.Add(p, "has %d columns, want %d", len(rec), cols)
			continue
		}
		a := Agent{ID: rec[0], Name: rec[1], TimeZone: rec[2], Languages: list(rec[3]), Contact: rec[7]}
		var err error
		if a.Skills, err = pairs(rec[4]); err != nil {
			errs.Add(p+".skills", "%v", err)
		}
		if rec[5] != "" {
			if a.Capacity, err = pairs(rec[5]); err != nil {
				errs.Add(p+".capacity", "%v", err)
			}
		}
		switch rec[6] {
		case "":
		case "none":
			a.VoiceBlocks = []string{}
		default:
			a.VoiceBlocks = list(rec[6])
		}
		if cols > 8 {
			switch strings.TrimSpace(rec[8]) {
			case "", "false":
			case "true":
				a.AutoAnswer = true
			default:
				errs.Add(p+".auto_answer", "must be true or false, got %q", rec[8])
			}
		}
		out = append(out, a)
	}
	return out, errs
}

func list(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for p := range strings.SplitSeq(s, ";") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

func pairs(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, p := range list(s) {
		name, num, ok := strings.Cut(p, ":")
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if !ok || err != nil {
			return nil, fmt.Errorf("%q is not name:number", p)
		}
		out[strings.TrimSpace(name)] = n
	}
	return out, nil
}

func joinPairs(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+":"+strconv.Itoa(m[k]))
	}
	return strings.Join(parts, ";")
}

// WriteAgentsCSV writes agents in the format ReadAgentsCSV reads.
func WriteAgentsCSV(w io.Writer, agents []Agent) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(AgentColumns)
	for _, a := range agents {
		blocks := strings.Join(a.VoiceBlocks, ";")
		if blocks == "" {
			blocks = "none"
		}
		_ = cw.Write([]string{a.ID, a.Name, a.TimeZone, strings.Join(a.Languages, ";"), joinPairs(a.Skills),
			joinPairs(a.Capacity), blocks, a.Contact, strconv.FormatBool(a.AutoAnswer)})
	}
	cw.Flush()
	return cw.Error()
}
