package router

import (
	"context"
	"slices"
	"strconv"
	"time"

	"switchboard/queues"
	"switchboard/validation"
)

// ForecastRow is the expected work of one queue on one channel in one interval.
type ForecastRow struct {
	Queue      string    `json:"queue"`
	Channel    string    `json:"channel"`
	Start      time.Time `json:"start"`
	Minutes    int       `json:"minutes"`
	Contacts   float64   `json:"contacts"`
	AHTSeconds float64   `json:"aht_seconds"`
	// Source is uploaded (by a planner), seasonal_average (of the same
	// weekday and local time over the past weeks) or none (nothing uploaded
	// and no history of the channel in those weeks: the demand is unknown,
	// which is not the same as none).
	Source string `json:"source"`
	Weeks  int    `json:"weeks,omitempty"` // past weeks averaged, for seasonal averages
}

// Forecast gives each interval of [from, to) of a queue's channel its
// expected contacts and handle time: the planner's upload when there is one,
// else the average of the same weekday and local time over the last weeks
// (in the queue's time zone, so DST does not shift the pattern).
func (r *Planning) Forecast(ctx context.Context, queue, channel string, from, to time.Time, minutes, weeks int) ([]ForecastRow, error) {
	var errs validation.Errors
	q, ok := r.cfg.Queue(queue)
	switch {
	case queue == "":
		errs.Add("queue", "is required")
	case !ok:
		errs.Add("queue", "unknown queue %q", queue)
	}
	if _, ok := r.cfg.Channels[channel]; !ok {
		errs.Add("channel", "unknown channel %q", channel)
	}
	if minutes != 15 && minutes != 30 && minutes != 60 {
		errs.Add("interval", "must be 15, 30 or 60 (minutes)")
	}
	if weeks < 1 || weeks > 12 {
		errs.Add("weeks", "must be between 1 and 12")
	}
	if !to.After(from) || to.Sub(from) > 14*24*time.Hour {
		errs.Add("to", "must be after from, at most 14 days later")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	loc := time.UTC
	if cal := r.cfg.Calendar(q); cal != nil {
		loc = cal.Loc
	}
	size := time.Duration(minutes) * time.Minute
	uploaded, err := r.store.Forecast(ctx, queue, channel)
	if err != nil {
		return nil, err
	}
	// History: the stats of the weeks before, fetched once.
	histFrom := from.In(loc).AddDate(0, 0, -7*weeks)
	hist, err := r.store.BucketCounts(ctx, queue, histFrom, from)
	if err != nil {
		return nil, err
	}
	up := byStart(uploaded)
	known := false // any history of the channel in the weeks looked at
	for _, b := range hist {
		if _, ok := b[channel]; ok {
			known = true
			break
		}
	}
	var rows []ForecastRow
	for s := from.Truncate(size); s.Before(to); s = s.Add(size) {
		if c, aht, ok := up.over(s, s.Add(size)); ok {
			rows = append(rows, ForecastRow{Queue: queue, Channel: channel, Start: s, Minutes: minutes,
				Contacts: c, AHTSeconds: aht, Source: "uploaded"})
			continue
		}
		// A week without contacts counts as zero: the average is over all weeks.
		var sum queues.Counts
		for k := 1; k <= weeks; k++ {
			past := s.In(loc).AddDate(0, 0, -7*k) // same weekday, same local time
			for b := past; b.Before(past.Add(size)); b = b.Add(15 * time.Minute) {
				sum.Add(hist[b.UTC()][channel])
			}
		}
		row := ForecastRow{Queue: queue, Channel: channel, Start: s, Minutes: minutes, Source: "seasonal_average", Weeks: weeks,
			Contacts: float64(sum.Offered) / float64(weeks)}
		if sum.Handled > 0 {
			row.AHTSeconds = float64(sum.HandleMS) / float64(sum.Handled) / 1000
		}
		if !known {
			row.Source, row.Weeks = "none", 0
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// QueueLocation is the time zone of a queue's hours (UTC without hours).
func (r *Planning) QueueLocation(queue string) *time.Location {
	if q, ok := r.cfg.Queue(queue); ok {
		if cal := r.cfg.Calendar(q); cal != nil {
			return cal.Loc
		}
	}
	return time.UTC
}

// UploadForecast stores a planner's forecast rows (all of one queue and
// channel are replaced at their starts); every row is checked first, so a
// bad row rejects the whole upload.
func (r *Planning) UploadForecast(ctx context.Context, rows []ForecastRow) error {
	if errs := r.CheckForecast(rows); len(errs) > 0 {
		return errs
	}
	groups := map[[2]string][]queues.ForecastEntry{}
	for _, row := range rows {
		k := [2]string{row.Queue, row.Channel}
		groups[k] = append(groups[k], queues.ForecastEntry{Start: row.Start.UTC(), Minutes: row.Minutes, Contacts: row.Contacts, AHTSeconds: row.AHTSeconds})
	}
	for k, es := range groups {
		if err := r.store.SetForecast(ctx, k[0], k[1], es); err != nil {
			return err
		}
	}
	return nil
}

// uploadedRows are uploaded forecast entries by start.
type uploadedRows []queues.ForecastEntry

func byStart(m map[time.Time]queues.ForecastEntry) uploadedRows {
	out := make(uploadedRows, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b queues.ForecastEntry) int { return a.Start.Compare(b.Start) })
	return out
}

// over re-buckets the uploaded entries into [from, to): each entry gives
// the share of its contacts its overlap with the interval holds (contacts
// spread evenly over its length), whatever the two lengths; the AHT is
// weighted by those contacts. ok is false when no entry overlaps.
func (u uploadedRows) over(from, to time.Time) (contacts, aht float64, ok bool) {
	// Entries are at most a day long: start a day before.
	i, _ := slices.BinarySearchFunc(u, from.Add(-24*time.Hour), func(e queues.ForecastEntry, t time.Time) int { return e.Start.Compare(t) })
	var weighted, firstAHT float64
	for ; i < len(u) && u[i].Start.Before(to); i++ {
		e := u[i]
		end := e.Start.Add(time.Duration(max(e.Minutes, 1)) * time.Minute)
		lo, hi := maxTime(e.Start, from), minTime(end, to)
		if !hi.After(lo) {
			continue
		}
		share := hi.Sub(lo).Seconds() / end.Sub(e.Start).Seconds()
		c := e.Contacts * share
		contacts += c
		weighted += c * e.AHTSeconds
		if !ok {
			firstAHT = e.AHTSeconds
		}
		ok = true
	}
	aht = firstAHT
	if contacts > 0 {
		aht = weighted / contacts
	}
	return contacts, aht, ok
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// CheckForecast reports every bad field of forecast rows, by path
// (rows[i].column).
func (r *Planning) CheckForecast(rows []ForecastRow) validation.Errors {
	var errs validation.Errors
	for i, row := range rows {
		p := "rows[" + strconv.Itoa(i) + "]"
		if _, ok := r.cfg.Queue(row.Queue); !ok {
			errs.Add(p+".queue", "unknown queue %q", row.Queue)
		}
		if _, ok := r.cfg.Channels[row.Channel]; !ok {
			errs.Add(p+".channel", "unknown channel %q", row.Channel)
		}
		if row.Minutes != 15 && row.Minutes != 30 && row.Minutes != 60 {
			errs.Add(p+".minutes", "must be 15, 30 or 60")
		}
		if row.Start.IsZero() || !row.Start.Equal(row.Start.Truncate(time.Duration(max(row.Minutes, 1))*time.Minute)) {
			errs.Add(p+".start", "must be an interval start (RFC 3339, on a %d-minute boundary)", row.Minutes)
		}
		// NaN fails every comparison: it is refused by name.
		if !(row.Contacts >= 0 && row.Contacts <= 1e6) {
			errs.Add(p+".contacts", "must be a number from 0 to 1000000")
		}
		if !(row.AHTSeconds > 0 && row.AHTSeconds <= 86400) {
			errs.Add(p+".aht_seconds", "must be a number of seconds above 0, at most 86400")
		}
	}
	if len(rows) == 0 {
		errs.Add("rows", "at least one row is required")
	}
	return errs
}
