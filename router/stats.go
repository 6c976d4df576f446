package router

import (
	"context"
	"sort"
	"time"

	"switchboard/queues"
	"switchboard/validation"
)

// StatsRow is one queue's figures on one channel for one interval, counting
// the contacts created in it.
type StatsRow struct {
	Queue            string    `json:"queue"`
	Channel          string    `json:"channel"`
	Start            time.Time `json:"start"`
	Minutes          int       `json:"minutes"`
	Offered          int64     `json:"offered"`
	Answered         int64     `json:"answered"`
	AnsweredInTarget int64     `json:"answered_in_target"`
	Abandoned        int64     `json:"abandoned"`
	Breached         int64     `json:"breached"`
	ServiceLevel     *float64  `json:"service_level"`        // answered in target / answered
	ASASeconds       *float64  `json:"asa_seconds"`          // creation to acceptance, accepted contacts
	AHTSeconds       *float64  `json:"aht_seconds"`          // acceptance to end of wrap-up
	AbandonWaitSecs  *float64  `json:"abandon_wait_seconds"` // mean wait before abandoning
}

// Stats returns interval statistics for the queues (all when queue is "")
// between from and to, in intervals of minutes (15, 30 or 60).
func (r *Reporting) Stats(ctx context.Context, queue string, from, to time.Time, minutes int) ([]StatsRow, error) {
	var errs validation.Errors
	if minutes != 15 && minutes != 30 && minutes != 60 {
		errs.Add("interval", "must be 15, 30 or 60 (minutes)")
	}
	if !to.After(from) {
		errs.Add("to", "must be after from")
	} else if to.Sub(from) > 40*24*time.Hour {
		errs.Add("from", "the period must be at most 40 days")
	}
	ids := []string{}
	for _, q := range r.cfg.Queues {
		if queue == "" || q.ID == queue {
			ids = append(ids, q.ID)
		}
	}
	if len(ids) == 0 {
		errs.Add("queue", "unknown queue %q", queue)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	size := time.Duration(minutes) * time.Minute
	from, to = from.Truncate(size), to.Add(size-1).Truncate(size)
	rows := []StatsRow{}
	for _, q := range ids {
		buckets, err := r.bucketCounts(ctx, r.store, q, from, to)
		if err != nil {
			return nil, err
		}
		type key struct {
			ch    string
			start time.Time
		}
		sums := map[key]queues.Counts{}
		for at, byCh := range buckets {
			for ch, c := range byCh {
				k := key{ch, at.Truncate(size)}
				s := sums[k]
				s.Add(c)
				sums[k] = s
			}
		}
		for k, c := range sums {
			rows = append(rows, statsRow(q, k.ch, k.start, minutes, c))
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Queue != b.Queue {
			return a.Queue < b.Queue
		}
		return a.Channel < b.Channel
	})
	return rows, nil
}

func statsRow(queue, ch string, start time.Time, minutes int, c queues.Counts) StatsRow {
	ratio := func(a, b int64, scale float64) *float64 {
		if b == 0 {
			return nil
		}
		v := float64(a) / float64(b) * scale
		return &v
	}
	return StatsRow{Queue: queue, Channel: ch, Start: start, Minutes: minutes,
		Offered: c.Offered, Answered: c.Answered, AnsweredInTarget: c.InTarget, Abandoned: c.Abandoned, Breached: c.Breached,
		ServiceLevel: ratio(c.InTarget, c.Answered, 1), ASASeconds: ratio(c.WaitMS, c.Accepted, 0.001),
		AHTSeconds: ratio(c.HandleMS, c.Handled, 0.001), AbandonWaitSecs: ratio(c.AbandonWaitMS, c.Abandoned, 0.001)}
}
