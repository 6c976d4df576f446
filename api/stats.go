package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/validation"
)

// stats serves interval statistics: ?queue=&from=&to=&interval=30, JSON or
// CSV (?format=csv or Accept: text/csv). By default, the last 24 hours.
func (s reportingAPI) stats(c *gin.Context) {
	now := s.app.Now()
	from, to := now.Add(-24*time.Hour), now
	var errs validation.Errors
	parse := func(field string, into *time.Time) { queryTime(c, &errs, field, into) }
	parse("from", &from)
	parse("to", &to)
	minutes := 30
	if v := c.Query("interval"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 15 && n != 30 && n != 60) {
			errs.Add("interval", "must be 15, 30 or 60 (minutes)")
		}
		minutes = n
	}
	if len(errs) > 0 {
		fail(c, errs)
		return
	}
	rows, err := s.app.Reporting.Stats(c.Request.Context(), c.Query("queue"), from, to, minutes)
	if err != nil {
		fail(c, err)
		return
	}
	if c.Query("format") != "csv" && !strings.Contains(c.GetHeader("Accept"), "text/csv") {
		respond(c, http.StatusOK, gin.H{"from": from, "to": to, "interval_minutes": minutes, "rows": rows})
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"queue", "channel", "start", "minutes", "offered", "answered", "answered_in_target", "abandoned",
		"breached", "service_level", "asa_seconds", "aht_seconds", "abandon_wait_seconds"})
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 3, 64)
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, r := range rows {
		_ = w.Write([]string{r.Queue, r.Channel, r.Start.Format(time.RFC3339), strconv.Itoa(r.Minutes), i(r.Offered), i(r.Answered),
			i(r.AnsweredInTarget), i(r.Abandoned), i(r.Breached), f(r.ServiceLevel), f(r.ASASeconds), f(r.AHTSeconds), f(r.AbandonWaitSecs)})
	}
	w.Flush()
}
