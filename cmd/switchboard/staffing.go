package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"switchboard/validation"
	"switchboard/workforce"
)

// staffing reads a staffing request (the body of POST /v1/staffing) and
// prints the answer as JSON, or as CSV with --csv.
func staffing(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("staffing", stderr)
	asCSV := fs.Bool("csv", false, "print one CSV row per queue and interval instead of JSON")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var req workforce.StaffingRequest
	if err := readJSON(fs, stdin, "staffing request", &req); err != nil {
		return err
	}
	resp, err := workforce.Staff(req)
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
	w := csv.NewWriter(stdout)
	_ = w.Write([]string{"queue", "start", "minutes", "contacts", "aht_seconds", "erlangs",
		"erlang_c_fractional", "erlang_c_agents", "erlang_c_scheduled", "erlang_c_service_level", "erlang_c_asa_seconds", "erlang_c_occupancy",
		"erlang_a_fractional", "erlang_a_agents", "erlang_a_scheduled", "erlang_a_service_level", "erlang_a_asa_seconds", "erlang_a_abandon"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	for _, r := range resp.Rows {
		rec := []string{r.Queue, r.Start.Format("2006-01-02T15:04:05Z07:00"), strconv.Itoa(r.Minutes), f(r.Contacts), f(r.AHTSeconds), f(r.Erlangs),
			f(r.ErlangC.Fractional), strconv.Itoa(r.ErlangC.Agents), strconv.Itoa(r.ErlangC.Scheduled),
			f(r.ErlangC.Performance.ServiceLevel), f(r.ErlangC.Performance.ASA), f(r.ErlangC.Performance.Occupancy)}
		if a := r.ErlangA; a != nil {
			rec = append(rec, f(a.Fractional), strconv.Itoa(a.Agents), strconv.Itoa(a.Scheduled),
				f(a.Performance.ServiceLevel), f(a.Performance.ASA), f(a.Performance.Abandon))
		} else {
			rec = append(rec, "", "", "", "", "", "")
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
