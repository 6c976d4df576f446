package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/archive"
	"switchboard/validation"
)

// quality serves the quality report: ?from=&to= (RFC 3339; by default the
// last 7 days), ?by=queue|agent|channel (default queue), JSON or CSV
// (?format=csv or Accept: text/csv), read from the archive.
func (s reportingAPI) quality(c *gin.Context) {
	now := s.app.Now()
	from, to := now.Add(-7*24*time.Hour), now
	var errs validation.Errors
	parse := func(field string, into *time.Time) { queryTime(c, &errs, field, into) }
	parse("from", &from)
	parse("to", &to)
	by := c.DefaultQuery("by", "queue")
	if by != "queue" && by != "agent" && by != "channel" {
		errs.Add("by", "must be queue, agent or channel")
	}
	if len(errs) == 0 && !from.Before(to) {
		errs.Add("to", "must be later than from")
	}
	if len(errs) == 0 && to.Sub(from) > 366*24*time.Hour {
		errs.Add("from", "the range is at most 366 days")
	}
	if f := c.Query("format"); f != "" && f != "json" && f != "csv" {
		errs.Add("format", "must be json or csv")
	}
	if len(errs) > 0 {
		fail(c, errs)
		return
	}
	if s.archive == nil {
		problem(c, http.StatusConflict, "the quality report reads the PostgreSQL archive: set DATABASE_URL "+
			"(without it, finished contacts stay only for retention.finished)")
		return
	}
	skills := map[string]string{}
	for _, q := range s.cfg.Queues {
		skills[q.ID] = q.Skill
	}
	rep, err := s.archive.Quality(c.Request.Context(), from, to, now, by, s.cfg.Quality.FCRWindow, skills)
	if err != nil {
		s.log.Error("quality report", "err", err)
		problem(c, http.StatusServiceUnavailable, "the archive (PostgreSQL) did not answer; try again")
		return
	}
	if c.Query("format") != "csv" && !strings.Contains(c.GetHeader("Accept"), "text/csv") {
		respond(c, http.StatusOK, rep)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{by, "contacts", "completed", "canceled", "aht_seconds", "resolution_seconds", "fcr",
		"fcr_decided", "fcr_pending", "repeat_rate", "csat", "csat_answers", "nps", "nps_answers"})
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 3, 64)
	}
	row := func(key string, r archive.QualityRow) {
		i := strconv.Itoa
		_ = w.Write([]string{key, i(r.Contacts), i(r.Completed), i(r.Canceled), f(r.AHT), f(r.Resolution), f(r.FCR),
			i(r.FCRDecided), i(r.FCRPending), f(r.Repeat), f(r.CSAT), i(r.CSATAnswers), f(r.NPS), i(r.NPSAnswers)})
	}
	for _, r := range rep.Rows {
		row(r.Key, r)
	}
	row("total", rep.Total)
	w.Flush()
}

// queryTime reads an RFC 3339 time from the query into *into (left as is
// when absent), or names the field in errs.
func queryTime(c *gin.Context, errs *validation.Errors, field string, into *time.Time) {
	v := c.Query(field)
	if v == "" {
		return
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		// An offset's "+" not escaped in the query arrives as a space.
		t, err = time.Parse(time.RFC3339, strings.Replace(v, " ", "+", 1))
	}
	if err != nil {
		errs.Add(field, "must be an RFC 3339 time such as 2026-03-02T09:00:00Z (escape + as %%2B)")
		return
	}
	*into = t
}
