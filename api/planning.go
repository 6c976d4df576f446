package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/validation"
)

// query reads the common planning parameters: queue, channel, from, to
// (default: the next 24 hours), interval (30).
type planQuery struct {
	queue, channel string
	from, to       time.Time
	minutes        int
}

func (s planningAPI) planQuery(c *gin.Context, errs *validation.Errors) planQuery {
	now := s.app.Now()
	q := planQuery{queue: c.Query("queue"), channel: c.Query("channel"),
		from: now.Truncate(30 * time.Minute), minutes: 30}
	q.to = q.from.Add(24 * time.Hour)
	for _, f := range []struct {
		name string
		into *time.Time
	}{{"from", &q.from}, {"to", &q.to}} {
		queryTime(c, errs, f.name, f.into)
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

// needChannel: a forecast or coverage is of one queue on one channel, and
// none given is not voice.
func (s planningAPI) needChannel(q planQuery, errs *validation.Errors) {
	if q.channel == "" {
		errs.Add("channel", "is required (one of %s)", strings.Join(s.app.Channels(), ", "))
	}
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
