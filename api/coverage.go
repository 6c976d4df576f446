package api

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/router"
	"switchboard/validation"
	"switchboard/workforce"
)

// coverage serves required vs scheduled agents as JSON, CSV or an SVG chart
// (format=json|csv|svg).
func (s planningAPI) coverage(c *gin.Context) {
	var errs validation.Errors
	q := s.planQuery(c, &errs)
	s.needChannel(q, &errs)
	target := workforce.Target{ServiceLevel: number(c, &errs, "service_level", 0.8), AnswerWithin: number(c, &errs, "answer_within", 20),
		ASA: number(c, &errs, "asa", 0), MaxOccupancy: number(c, &errs, "max_occupancy", 0)}
	shrinkage := number(c, &errs, "shrinkage", 0)
	if shrinkage < 0 || shrinkage >= 1 {
		errs.Add("shrinkage", "must be a share below 1")
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" && format != "svg" {
		errs.Add("format", "must be json, csv or svg")
	}
	if m := c.Query("method"); m != "" && m != "simulation" {
		errs.Add("method", "must be simulation, or left out (agents split evenly among their queues)")
	}
	// The chart's zone: the queue's, or one asked for (tz=UTC, an IANA name).
	loc := s.app.Planning.QueueLocation(q.queue)
	if tz := c.Query("tz"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			errs.Add("tz", "must be an IANA time zone such as UTC or Europe/Madrid")
		}
		loc = l
	}
	if len(errs) > 0 {
		fail(c, errs)
		return
	}
	rows, err := s.app.Planning.Coverage(c.Request.Context(), q.queue, q.channel, q.from, q.to, q.minutes, target, shrinkage)
	if err != nil {
		fail(c, err)
		return
	}
	// method=simulation counts multi-skill agents by the share of their time
	// a simulation of every queue's forecast shows them spending here: a
	// background job (202), whose result is the rows.
	if c.Query("method") == "simulation" {
		s.startJob(c, "coverage", gin.H{"queue": q.queue, "channel": q.channel, "from": q.from, "to": q.to, "minutes": q.minutes},
			func(ctx context.Context, progress func(float64)) (any, error) {
				eff, err := s.simulator.EffectiveAgents(ctx, q.queue, q.channel, q.from, q.to, q.minutes, progress)
				if err != nil {
					return nil, err
				}
				for i := range rows {
					rows[i].Scheduled = eff[rows[i].Start]
					rows[i].Gap = rows[i].Scheduled - rows[i].Required
				}
				return gin.H{"queue": q.queue, "channel": q.channel, "rows": rows}, nil
			})
		return
	}
	switch format {
	case "svg":
		chart := router.Chart{Title: "Coverage of " + q.queue + " on " + q.channel, Loc: loc, Shrinkage: shrinkage}
		c.Data(http.StatusOK, "image/svg+xml", []byte(router.CoverageSVG(chart, rows)))
	case "csv":
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Status(http.StatusOK)
		w := csv.NewWriter(c.Writer)
		_ = w.Write([]string{"start", "contacts", "required", "scheduled", "gap", "forecast"})
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
		for _, r := range rows {
			req, gap := f(r.Required), f(r.Gap)
			if r.Forecast == "none" {
				req, gap = "", "" // unknown demand
			}
			_ = w.Write([]string{r.Start.Format(time.RFC3339), f(r.Contacts), req, f(r.Scheduled), gap, r.Forecast})
		}
		w.Flush()
	default:
		respond(c, http.StatusOK, gin.H{"queue": q.queue, "channel": q.channel, "rows": rows})
	}
}
