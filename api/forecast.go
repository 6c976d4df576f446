package api

import (
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/router"
	"switchboard/validation"
)

func (s planningAPI) getForecast(c *gin.Context) {
	var errs validation.Errors
	q := s.planQuery(c, &errs)
	s.needChannel(q, &errs)
	weeks := int(number(c, &errs, "weeks", 4))
	if len(errs) > 0 {
		fail(c, errs)
		return
	}
	rows, err := s.app.Planning.Forecast(c.Request.Context(), q.queue, q.channel, q.from, q.to, q.minutes, weeks)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"rows": rows})
}

// putForecast takes a planner's forecast as CSV (queue,channel,start,minutes,
// contacts,aht_seconds with a header row) or JSON ({"rows": [...]}); a bad
// row rejects the whole upload.
func (s planningAPI) putForecast(c *gin.Context) {
	var rows []router.ForecastRow
	if strings.HasPrefix(c.ContentType(), "text/csv") {
		// A row with too few or too many columns is reported by line, not
		// taken for a file that is not CSV.
		r := csv.NewReader(c.Request.Body)
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			problem(c, http.StatusRequestEntityTooLarge, "the body is too large", validation.Error{Field: "body", Reason: "too large"})
			return
		}
		if err != nil || len(recs) < 2 {
			problem(c, http.StatusBadRequest, "the body is not CSV with a header and rows", validation.Error{Field: "body", Reason: "not CSV"})
			return
		}
		// Every bad field of every row is reported at once: what cannot be
		// read, then what the rows that can be read get wrong.
		var errs validation.Errors
		reported := map[string]bool{}
		for i, rec := range recs[1:] {
			p := "rows[" + strconv.Itoa(i) + "]"
			if len(rec) != 6 {
				errs.Add(p, "needs 6 columns: queue,channel,start,minutes,contacts,aht_seconds")
				reported[p] = true
				rows = append(rows, router.ForecastRow{})
				continue
			}
			start, err1 := time.Parse(time.RFC3339, rec[2])
			minutes, err2 := strconv.Atoi(rec[3])
			contacts, err3 := strconv.ParseFloat(rec[4], 64)
			aht, err4 := strconv.ParseFloat(rec[5], 64)
			for _, e := range []struct {
				err   error
				field string
			}{{err1, "start"}, {err2, "minutes"}, {err3, "contacts"}, {err4, "aht_seconds"}} {
				if e.err != nil {
					errs.Add(p+"."+e.field, "cannot be read: %q", rec[map[string]int{"start": 2, "minutes": 3, "contacts": 4, "aht_seconds": 5}[e.field]])
					reported[p+"."+e.field] = true
				}
			}
			rows = append(rows, router.ForecastRow{Queue: rec[0], Channel: rec[1], Start: start, Minutes: minutes, Contacts: contacts, AHTSeconds: aht})
		}
		if len(errs) > 0 {
			for _, e := range s.app.Planning.CheckForecast(rows) {
				row, _, _ := strings.Cut(e.Field, ".")
				if !reported[e.Field] && !reported[row] {
					errs = append(errs, e)
				}
			}
			slices.SortStableFunc(errs, func(a, b validation.Error) int { return rowOf(a.Field) - rowOf(b.Field) })
			fail(c, errs)
			return
		}
	} else {
		var body struct {
			Rows []router.ForecastRow `json:"rows"`
		}
		if !bind(c, &body, false) {
			return
		}
		rows = body.Rows
	}
	if err := s.app.Planning.UploadForecast(c.Request.Context(), rows); err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"stored": len(rows)})
}

// rowOf is i of a field path rows[i]..., for ordering errors by row.
func rowOf(field string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(field, "]", 2)[0], "rows["))
	return n
}
