package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"switchboard/validation"
	"switchboard/workforce"
)

// staffing reads a staffing request (the body of POST /v1/staffing) and
// prints the answer as JSON, or as CSV with --csv.
func staffing(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("staffing", stderr)
	asCSV := fs.Bool("csv", false, "print one CSV row per queue and interval instead of JSON")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	var req workforce.StaffingRequest
	if err := readJSON(fs, stdin, "staffing request", &req); err != nil {
		return err
	}
	resp, err := workforce.Staff(ctx, req)
	var errs validation.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintln(stderr, e.Error())
		}
		return fmt.Errorf("%d invalid field(s)", len(errs))
	}
	if err != nil {
		return err
	}
	if !*asCSV {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(resp)
	}
	return writeStaffingCSV(stdout, resp)
}

// writeStaffingCSV writes one row per queue and interval with the columns
// of the JSON answer, then one "(total)" row per interval.
func writeStaffingCSV(out io.Writer, resp workforce.StaffingResponse) error {
	w := csv.NewWriter(out)
	head := []string{"queue", "start", "minutes", "contacts", "aht_seconds", "erlangs"}
	for _, m := range []string{"erlang_c", "erlang_a"} {
		for _, c := range []string{"fractional_agents", "agents", "scheduled_fractional", "scheduled_agents",
			"probability_of_waiting", "service_level", "service_level_of_answered", "asa_seconds",
			"average_wait_seconds", "occupancy", "abandon_rate"} {
			head = append(head, m+"_"+c)
		}
	}
	_ = w.Write(head)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	model := func(s *workforce.Staffed) []string {
		if s == nil {
			return make([]string, 11)
		}
		p := s.Performance
		return []string{f(s.Fractional), strconv.Itoa(s.Agents), f(s.ScheduledFractional), strconv.Itoa(s.Scheduled),
			f(p.PWait), f(p.ServiceLevel), f(p.ServiceLevelAnswered), f(p.ASA), f(p.AverageWait), f(p.Occupancy), f(p.Abandon)}
	}
	for _, r := range resp.Rows {
		rec := []string{r.Queue, r.Start.Format(time.RFC3339), strconv.Itoa(r.Minutes), f(r.Contacts), f(r.AHTSeconds), f(r.Erlangs)}
		rec = append(append(rec, model(r.ErlangC)...), model(r.ErlangA)...)
		_ = w.Write(rec)
	}
	total := func(t *workforce.Total) []string {
		out := make([]string, 11)
		if t != nil {
			out[0], out[1], out[2], out[3] = f(t.Fractional), strconv.Itoa(t.Agents), f(t.ScheduledFractional), strconv.Itoa(t.Scheduled)
		}
		return out
	}
	for _, t := range resp.Totals {
		rec := []string{"(total)", t.Start.Format(time.RFC3339), "", "", "", ""}
		rec = append(append(rec, total(&t.ErlangC)...), total(t.ErlangA)...)
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
