package workforce

import (
	"fmt"
	"sort"
	"time"

	"switchboard/calendar"
	"switchboard/validation"
)

// Schedule is an agent's working time, in the agent's own time zone: weekly
// shifts with breaks, and dated exceptions.
type Schedule struct {
	// TimeZone defaults to the agent's.
	TimeZone   string      `json:"time_zone,omitempty"`
	Weekly     []Shift     `json:"weekly"`
	Exceptions []Exception `json:"exceptions,omitempty"`
}

// Shift is one working period; End before Start runs past midnight.
type Shift struct {
	Day    string  `json:"day,omitempty"` // mon … sun (weekly shifts only)
	Start  string  `json:"start"`         // "09:00"
	End    string  `json:"end"`           // "17:00"
	Breaks []Break `json:"breaks,omitempty"`
}

// Break is a pause within a shift, in wall-clock times of the shift's day.
type Break struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Exception changes one date: leave (no work that day), or overtime (an
// extra shift).
type Exception struct {
	Date  string `json:"date"` // 2026-03-10
	Kind  string `json:"kind"` // leave or overtime
	Shift *Shift `json:"shift,omitempty"`
}

// Activity kinds of an expanded schedule.
const (
	Work  = "work"
	Pause = "break"
)

// Interval is a stretch of scheduled activity in absolute time.
type Interval struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Activity string    `json:"activity"`
}

var dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func clockTime(s string) (int, error) {
	r, err := calendar.ParseRange(s + "-24:00")
	if s == "24:00" || err != nil {
		return 0, fmt.Errorf("%q is not a time (HH:MM)", s)
	}
	return r.Start, nil
}

// Validate checks a schedule; zone is the agent's time zone.
func (s *Schedule) Validate(zone string) validation.Errors {
	var errs validation.Errors
	if s.TimeZone == "" {
		s.TimeZone = zone
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "Local" {
		errs.Add("time_zone", "%q is not an IANA time zone", s.TimeZone)
	}
	checkShift := func(p string, sh Shift, weekly bool) {
		if _, ok := dayNames[sh.Day]; weekly && !ok {
			errs.Add(p+".day", "must be mon, tue, wed, thu, fri, sat or sun")
		}
		start, err1 := clockTime(sh.Start)
		end, err2 := clockTime(sh.End)
		if err1 != nil {
			errs.Add(p+".start", "%v", err1)
		}
		if err2 != nil {
			errs.Add(p+".end", "%v", err2)
		}
		if err1 == nil && err2 == nil && start == end {
			errs.Add(p+".end", "a shift must not be empty")
		}
		for j, b := range sh.Breaks {
			bp := fmt.Sprintf("%s.breaks[%d]", p, j)
			bs, e1 := clockTime(b.Start)
			be, e2 := clockTime(b.End)
			if e1 != nil || e2 != nil || bs == be {
				errs.Add(bp, "start and end must be times (HH:MM) of a non-empty break")
			}
		}
	}
	for i, sh := range s.Weekly {
		checkShift(fmt.Sprintf("weekly[%d]", i), sh, true)
	}
	if len(errs) == 0 {
		errs = append(errs, s.overlaps()...)
	}
	for i, ex := range s.Exceptions {
		p := fmt.Sprintf("exceptions[%d]", i)
		if _, err := calendar.ParseDate(ex.Date); err != nil {
			errs.Add(p+".date", "%v", err)
		}
		switch ex.Kind {
		case "leave":
			if ex.Shift != nil {
				errs.Add(p+".shift", "leave takes the whole day: give no shift")
			}
		case "overtime":
			if ex.Shift == nil {
				errs.Add(p+".shift", "overtime needs a shift")
			} else {
				checkShift(p+".shift", *ex.Shift, false)
			}
		default:
			errs.Add(p+".kind", "must be leave or overtime")
		}
	}
	return errs
}

// span is a shift placed on a line of minutes: weekly shifts from Monday
// 00:00, an exception's from its date's midnight.
type span struct {
	from, to int
	field    string
	sh       Shift
}

func placed(sh Shift, day int, field string) span {
	start, _ := clockTime(sh.Start)
	end, _ := clockTime(sh.End)
	if end <= start {
		end += 24 * 60 // past midnight
	}
	return span{day*24*60 + start, day*24*60 + end, field, sh}
}

// weekday is the Monday-based index of a day name.
func weekday(name string) int { return (int(dayNames[name]) + 6) % 7 }

// overlaps refuses shifts that overlap one another (they would be counted
// twice in coverage): weekly shifts across the week (Sunday night runs into
// Monday), and each overtime shift against the weekly shifts and other
// overtime of its date and the days around it.
func (s *Schedule) overlaps() validation.Errors {
	var errs validation.Errors
	const week = 7 * 24 * 60
	var weekly []span
	for i, sh := range s.Weekly {
		weekly = append(weekly, placed(sh, weekday(sh.Day), fmt.Sprintf("weekly[%d]", i)))
	}
	clash := func(a, b span, shift int) bool { return a.from < b.to+shift && b.from+shift < a.to }
	for i, a := range weekly {
		for _, b := range weekly[:i] {
			if clash(a, b, 0) || clash(a, b, week) || clash(a, b, -week) {
				errs.Add(a.field, "overlaps %s (%s %s-%s): a shift may not overlap another", b.field, b.sh.Day, b.sh.Start, b.sh.End)
			}
		}
	}
	leave := map[string]bool{}
	for _, ex := range s.Exceptions {
		if ex.Kind == "leave" {
			leave[ex.Date] = true
		}
	}
	for i, ex := range s.Exceptions {
		if ex.Kind != "overtime" || ex.Shift == nil {
			continue
		}
		d, err := time.Parse("2006-01-02", ex.Date)
		if err != nil {
			continue
		}
		a := placed(*ex.Shift, 0, fmt.Sprintf("exceptions[%d].shift", i))
		// The shifts of the day before, the day and the day after.
		for off := -1; off <= 1; off++ {
			date := d.AddDate(0, 0, off)
			if leave[date.Format("2006-01-02")] {
				continue
			}
			for _, b := range weekly {
				if weekday(b.sh.Day) == (int(date.Weekday())+6)%7 && clash(a, placed(b.sh, off, b.field), 0) {
					errs.Add(a.field, "overlaps %s (%s %s-%s) on %s: a shift may not overlap another", b.field, b.sh.Day, b.sh.Start, b.sh.End, ex.Date)
				}
			}
			for j, other := range s.Exceptions[:i] {
				if other.Kind == "overtime" && other.Shift != nil && other.Date == date.Format("2006-01-02") &&
					clash(a, placed(*other.Shift, off, ""), 0) {
					errs.Add(a.field, "overlaps the overtime exceptions[%d] (%s %s-%s)", j, other.Date, other.Shift.Start, other.Shift.End)
				}
			}
		}
	}
	return errs
}

// Expand lists the scheduled intervals that overlap [from, to), in order.
// Wall-clock times are read in the schedule's zone on each date, so a
// 09:00-17:00 shift is 8 hours on the days clocks change too (the change
// happens at night); a night shift across the change is an hour shorter or
// longer, as worked.
func (s Schedule) Expand(from, to time.Time) []Interval {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil
	}
	leave := map[string]bool{}
	overtime := map[string][]Shift{}
	for _, ex := range s.Exceptions {
		switch ex.Kind {
		case "leave":
			leave[ex.Date] = true
		case "overtime":
			if ex.Shift != nil {
				overtime[ex.Date] = append(overtime[ex.Date], *ex.Shift)
			}
		}
	}
	var out []Interval
	// Start a day early: a night shift from the day before may reach in.
	lf := from.In(loc)
	day := time.Date(lf.Year(), lf.Month(), lf.Day(), 12, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	for ; ; day = day.AddDate(0, 0, 1) {
		dateStart := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
		if !dateStart.Before(to) {
			break
		}
		date := day.Format("2006-01-02")
		var shifts []Shift
		if !leave[date] {
			for _, sh := range s.Weekly {
				if dayNames[sh.Day] == day.Weekday() {
					shifts = append(shifts, sh)
				}
			}
		}
		shifts = append(shifts, overtime[date]...)
		for _, sh := range shifts {
			out = append(out, shiftIntervals(day, loc, sh)...)
		}
	}
	// Keep what overlaps [from, to), clipped; every time in the schedule's zone.
	from, to = from.In(loc), to.In(loc)
	kept := out[:0]
	for _, iv := range out {
		if iv.End.After(from) && iv.Start.Before(to) {
			if iv.Start.Before(from) {
				iv.Start = from
			}
			if iv.End.After(to) {
				iv.End = to
			}
			kept = append(kept, iv)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Start.Before(kept[j].Start) })
	return kept
}

// shiftIntervals turns one shift on one date into work and break intervals.
func shiftIntervals(day time.Time, loc *time.Location, sh Shift) []Interval {
	at := func(minutes int, nextDay bool) time.Time {
		d := day
		if nextDay {
			d = d.AddDate(0, 0, 1)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), minutes/60, minutes%60, 0, 0, loc)
	}
	sm, _ := clockTime(sh.Start)
	em, _ := clockTime(sh.End)
	start, end := at(sm, false), at(em, em <= sm)
	var breaks []Interval
	for _, b := range sh.Breaks {
		bs, _ := clockTime(b.Start)
		be, _ := clockTime(b.End)
		// A break's times belong to the shift: past midnight when before the start.
		s, e := at(bs, bs < sm), at(be, be <= sm || be < bs)
		if s.Before(start) || e.After(end) || !e.After(s) {
			continue // outside its shift: ignored
		}
		breaks = append(breaks, Interval{Start: s, End: e, Activity: Pause})
	}
	sort.Slice(breaks, func(i, j int) bool { return breaks[i].Start.Before(breaks[j].Start) })
	var out []Interval
	cur := start
	for _, b := range breaks {
		if b.Start.After(cur) {
			out = append(out, Interval{Start: cur, End: b.Start, Activity: Work})
		}
		out = append(out, b)
		cur = b.End
	}
	if end.After(cur) {
		out = append(out, Interval{Start: cur, End: end, Activity: Work})
	}
	return out
}

// ActivityAt is the scheduled activity at t: work, break, or "" (off).
func (s Schedule) ActivityAt(t time.Time) string {
	for _, iv := range s.Expand(t, t.Add(time.Nanosecond)) {
		return iv.Activity
	}
	return ""
}
