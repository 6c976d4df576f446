package api

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/router"
	"switchboard/sim"
	"switchboard/validation"
	"switchboard/workforce"
)

// query reads the common planning parameters: queue, channel, from, to
// (default: the next 24 hours), interval (30).
type planQuery struct {
	queue, channel string
	from, to       time.Time
	minutes        int
}

func (s *Server) planQuery(c *gin.Context, errs *validation.Errors) planQuery {
	now := s.router.Now()
	q := planQuery{queue: c.Query("queue"), channel: c.DefaultQuery("channel", "voice"),
		from: now.Truncate(30 * time.Minute), minutes: 30}
	q.to = q.from.Add(24 * time.Hour)
	for _, f := range []struct {
		name string
		into *time.Time
	}{{"from", &q.from}, {"to", &q.to}} {
		if v := c.Query(f.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs.Add(f.name, "must be an RFC 3339 time such as 2026-03-02T09:00:00Z")
				continue
			}
			*f.into = t
		}
	}
	if v := c.Query("interval"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs.Add("interval", "must be 15, 30 or 60 (minutes)")
		}
		q.minutes = n
	}
	return q
}

func number(c *gin.Context, errs *validation.Errors, name string, def float64) float64 {
	v := c.Query(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		errs.Add(name, "must be a number")
	}
	return f
}

func (s *Server) getForecast(c *gin.Context) {
	var errs validation.Errors
	q := s.planQuery(c, &errs)
	weeks := int(number(c, &errs, "weeks", 4))
	if len(errs) > 0 {
		fail(c, errs)
		return
	}
	rows, err := s.router.Forecast(c.Request.Context(), q.queue, q.channel, q.from, q.to, q.minutes, weeks)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"rows": rows})
}

// putForecast takes a planner's forecast as CSV (queue,channel,start,minutes,
// contacts,aht_seconds with a header row) or JSON ({"rows": [...]}); a bad
// row rejects the whole upload.
func (s *Server) putForecast(c *gin.Context) {
	var rows []router.ForecastRow
	if strings.HasPrefix(c.ContentType(), "text/csv") {
		recs, err := csv.NewReader(c.Request.Body).ReadAll()
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			problem(c, http.StatusRequestEntityTooLarge, "the body is too large", validation.Error{Field: "body", Reason: "too large"})
			return
		}
		if err != nil || len(recs) < 2 {
			problem(c, http.StatusBadRequest, "the body is not CSV with a header and rows", validation.Error{Field: "body", Reason: "not CSV"})
			return
		}
		var errs validation.Errors
		for i, rec := range recs[1:] {
			p := "rows[" + strconv.Itoa(i) + "]"
			if len(rec) != 6 {
				errs.Add(p, "needs 6 columns: queue,channel,start,minutes,contacts,aht_seconds")
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
				}
			}
			rows = append(rows, router.ForecastRow{Queue: rec[0], Channel: rec[1], Start: start, Minutes: minutes, Contacts: contacts, AHTSeconds: aht})
		}
		if len(errs) > 0 {
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
	if err := s.router.UploadForecast(c.Request.Context(), rows); err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"stored": len(rows)})
}

// coverage serves required vs scheduled agents as JSON, CSV or an SVG chart
// (format=json|csv|svg).
func (s *Server) coverage(c *gin.Context) {
	var errs validation.Errors
	q := s.planQuery(c, &errs)
	target := workforce.Target{ServiceLevel: number(c, &errs, "service_level", 0.8), AnswerWithin: number(c, &errs, "answer_within", 20),
		ASA: number(c, &errs, "asa", 0), MaxOccupancy: number(c, &errs, "max_occupancy", 0)}
	shrinkage := number(c, &errs, "shrinkage", 0)
	if shrinkage < 0 || shrinkage >= 1 {
		errs.Add("shrinkage", "must be a share below 1")
	}
	if len(errs) > 0 {
		fail(c, errs)
		return
	}
	rows, err := s.router.Coverage(c.Request.Context(), q.queue, q.channel, q.from, q.to, q.minutes, target, shrinkage)
	if err != nil {
		fail(c, err)
		return
	}
	// method=simulation counts multi-skill agents by the share of their time
	// a simulation of every queue's forecast shows them spending here.
	if c.Query("method") == "simulation" {
		eff, err := sim.EffectiveAgents(c.Request.Context(), s.router, s.router.Store().Redis(), s.cfg, q.queue, q.channel, q.from, q.to, q.minutes)
		if err != nil {
			fail(c, err)
			return
		}
		for i := range rows {
			rows[i].Scheduled = eff[rows[i].Start]
			rows[i].Gap = rows[i].Scheduled - rows[i].Required
		}
	}
	switch c.DefaultQuery("format", "json") {
	case "svg":
		c.Data(http.StatusOK, "image/svg+xml", []byte(router.CoverageSVG("Coverage of "+q.queue+" on "+q.channel, rows)))
	case "csv":
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Status(http.StatusOK)
		w := csv.NewWriter(c.Writer)
		_ = w.Write([]string{"start", "contacts", "required", "scheduled", "gap"})
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
		for _, r := range rows {
			_ = w.Write([]string{r.Start.Format(time.RFC3339), f(r.Contacts), f(r.Required), f(r.Scheduled), f(r.Gap)})
		}
		w.Flush()
	default:
		respond(c, http.StatusOK, gin.H{"queue": q.queue, "channel": q.channel, "rows": rows})
	}
}
