// Package calendar answers the questions business hours raise: is a queue
// open at an instant, when does it next open, and at what instant has a given
// amount of open time elapsed. Hours are wall-clock times in an IANA zone, so
// they follow DST changes; durations are real elapsed time while open.
package calendar

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Range is an opening range within a day, in minutes after local midnight;
// End may be 1440 (midnight at the end of the day).
type Range struct{ Start, End int }

// Date is a calendar day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Calendar is a queue's hours of operation.
type Calendar struct {
	Loc    *time.Location
	Weekly [7][]Range // by time.Weekday
	// Closed are holidays: closed all day.
	Closed map[Date]bool
	// Special replaces the weekly hours on a day (an exception).
	Special map[Date][]Range
}

// maxDays bounds every search: a calendar open less than once a year is
// treated as never open.
const maxDays = 400

// ParseRange reads "09:00-17:30" ("24:00" ends a day).
func ParseRange(s string) (Range, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Range{}, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	start, err1 := minutes(a)
	end, err2 := minutes(b)
	if err1 != nil || err2 != nil || end <= start {
		return Range{}, fmt.Errorf("%q is not HH:MM-HH:MM with the end after the start", s)
	}
	return Range{start, end}, nil
}

func minutes(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || len(s) != 5 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}

// ParseDate reads "2026-12-25".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// Normalize sorts ranges and reports overlaps.
func Normalize(rs []Range) ([]Range, error) {
	out := append([]Range(nil), rs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	for i := 1; i < len(out); i++ {
		if out[i].Start < out[i-1].End {
			return nil, fmt.Errorf("ranges overlap")
		}
	}
	return out, nil
}

func (c *Calendar) ranges(d Date) []Range {
	if c.Closed[d] {
		return nil
	}
	if rs, ok := c.Special[d]; ok {
		return rs
	}
	return c.Weekly[time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()]
}

// interval is one opening as real instants.
func (c *Calendar) interval(d Date, r Range) (time.Time, time.Time) {
	at := func(min int) time.Time {
		// time.Date normalises wall times a DST change skips or repeats.
		return time.Date(d.Year, d.Month, d.Day, min/60, min%60, 0, 0, c.Loc)
	}
	return at(r.Start), at(r.End)
}

// each calls f with the openings from the day of t on, in order, until f
// returns false or maxDays have passed.
func (c *Calendar) each(t time.Time, f func(start, end time.Time) bool) {
	lt := t.In(c.Loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 12, 0, 0, 0, time.UTC)
	for range maxDays {
		d := Date{day.Year(), day.Month(), day.Day()}
		for _, r := range c.ranges(d) {
			s, e := c.interval(d, r)
			if !f(s, e) {
				return
			}
		}
		day = day.AddDate(0, 0, 1)
	}
}

// Open reports whether the calendar is open at t.
func (c *Calendar) Open(t time.Time) bool {
	lt := t.In(c.Loc)
	d := Date{lt.Year(), lt.Month(), lt.Day()}
	for _, r := range c.ranges(d) {
		if s, e := c.interval(d, r); !t.Before(s) && t.Before(e) {
			return true
		}
	}
	return false
}

// NextOpen returns t when open, else the next opening; false when there is
// none within the search bound.
func (c *Calendar) NextOpen(t time.Time) (time.Time, bool) {
	var found time.Time
	c.each(t, func(s, e time.Time) bool {
		if t.Before(e) {
			found = s
			if t.After(s) {
				found = t
			}
			return false
		}
		return true
	})
	return found, !found.IsZero()
}

// Add returns the instant at which d of open time has elapsed after t; false
// when the calendar does not open enough within the search bound.
func (c *Calendar) Add(t time.Time, d time.Duration) (time.Time, bool) {
	left := d
	var due time.Time
	c.each(t, func(s, e time.Time) bool {
		if !e.After(t) {
			return true
		}
		if s.Before(t) {
			s = t
		}
		if span := e.Sub(s); left <= span {
			due = s.Add(left)
			return false
		} else {
			left -= span
		}
		return true
	})
	return due, !due.IsZero()
}
