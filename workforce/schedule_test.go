package workforce

import (
	"testing"
	"time"
)

func z(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Shifts on the days clocks change, worked out by hand in UTC.
func TestExpandAcrossDST(t *testing.T) {
	cases := []struct {
		name, zone string
		shift      Shift
		day        string // a date inside the expansion window
		start, end string
		hours      float64
	}{
		// Sun 8 Mar 2026: New York moves to EDT (UTC-4) at 02:00.
		{"New York day shift on the change day", "America/New_York", Shift{Day: "sun", Start: "09:00", End: "17:00"}, "2026-03-08", "2026-03-08T13:00:00Z", "2026-03-08T21:00:00Z", 8},
		{"New York night shift across the change", "America/New_York", Shift{Day: "sat", Start: "22:00", End: "06:00"}, "2026-03-07", "2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z", 7},
		// Sun 25 Oct 2026: Madrid goes back to CET (UTC+1) at 03:00.
		{"Madrid day shift on the change day", "Europe/Madrid", Shift{Day: "sun", Start: "09:00", End: "17:00"}, "2026-10-25", "2026-10-25T08:00:00Z", "2026-10-25T16:00:00Z", 8},
		{"Madrid night shift across the change", "Europe/Madrid", Shift{Day: "sat", Start: "22:00", End: "06:00"}, "2026-10-24", "2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z", 9},
		// Manila keeps UTC+8: the night shift that covers Europe's morning.
		{"Manila night shift", "Asia/Manila", Shift{Day: "mon", Start: "22:00", End: "06:00"}, "2026-03-09", "2026-03-09T14:00:00Z", "2026-03-09T22:00:00Z", 8},
		// Lord Howe moves by 30 minutes: back to UTC+10:30 on Sun 5 Apr 2026
		// at 02:00, forward to UTC+11 on Sun 4 Oct 2026 at 02:00.
		{"Lord Howe night shift, April change", "Australia/Lord_Howe", Shift{Day: "sat", Start: "22:00", End: "06:00"}, "2026-04-04", "2026-04-04T11:00:00Z", "2026-04-04T19:30:00Z", 8.5},
		{"Lord Howe night shift, October change", "Australia/Lord_Howe", Shift{Day: "sat", Start: "22:00", End: "06:00"}, "2026-10-03", "2026-10-03T11:30:00Z", "2026-10-03T19:00:00Z", 7.5},
		{"Lord Howe day shift, April change day", "Australia/Lord_Howe", Shift{Day: "sun", Start: "09:00", End: "17:00"}, "2026-04-05", "2026-04-04T22:30:00Z", "2026-04-05T06:30:00Z", 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Schedule{TimeZone: c.zone, Weekly: []Shift{c.shift}}
			if errs := s.Validate(c.zone); len(errs) > 0 {
				t.Fatal(errs)
			}
			day := z(c.day + "T00:00:00Z")
			got := s.Expand(day.Add(-24*time.Hour), day.Add(48*time.Hour))
			if len(got) != 1 {
				t.Fatalf("intervals %+v", got)
			}
			iv := got[0]
			if !iv.Start.Equal(z(c.start)) || !iv.End.Equal(z(c.end)) || iv.End.Sub(iv.Start).Hours() != c.hours {
				t.Fatalf("got %s - %s (%.1f h), want %s - %s (%.1f h)", iv.Start.UTC().Format(time.RFC3339), iv.End.UTC().Format(time.RFC3339),
					iv.End.Sub(iv.Start).Hours(), c.start, c.end, c.hours)
			}
		})
	}
}

func TestExpandBreaksLeaveOvertime(t *testing.T) {
	s := Schedule{TimeZone: "Europe/Madrid",
		Weekly: []Shift{
			{Day: "mon", Start: "09:00", End: "17:00", Breaks: []Break{{"12:00", "12:30"}}},
			{Day: "tue", Start: "09:00", End: "17:00"},
		},
		Exceptions: []Exception{
			{Date: "2026-03-10", Kind: "leave"},
			{Date: "2026-03-11", Kind: "overtime", Shift: &Shift{Start: "18:00", End: "20:00"}},
		},
	}
	if errs := s.Validate(""); len(errs) > 0 {
		t.Fatal(errs)
	}
	got := s.Expand(z("2026-03-09T00:00:00Z"), z("2026-03-12T00:00:00Z"))
	want := []Interval{
		{z("2026-03-09T08:00:00Z"), z("2026-03-09T11:00:00Z"), Work},
		{z("2026-03-09T11:00:00Z"), z("2026-03-09T11:30:00Z"), Pause},
		{z("2026-03-09T11:30:00Z"), z("2026-03-09T16:00:00Z"), Work},
		// Tuesday 10: leave. Wednesday 11: overtime only.
		{z("2026-03-11T17:00:00Z"), z("2026-03-11T19:00:00Z"), Work},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || got[i].Activity != want[i].Activity {
			t.Fatalf("interval %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if a := s.ActivityAt(z("2026-03-09T11:10:00Z")); a != Pause {
		t.Fatalf("activity at the break: %q", a)
	}
	if a := s.ActivityAt(z("2026-03-10T10:00:00Z")); a != "" {
		t.Fatalf("activity on leave: %q", a)
	}
}

func TestScheduleValidation(t *testing.T) {
	s := Schedule{TimeZone: "Mars/Base", Weekly: []Shift{{Day: "funday", Start: "9", End: "17:00"}},
		Exceptions: []Exception{{Date: "2026-02-30", Kind: "holiday"}}}
	errs := s.Validate("UTC")
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Field] = true
	}
	for _, f := range []string{"time_zone", "weekly[0].day", "weekly[0].start", "exceptions[0].date", "exceptions[0].kind"} {
		if !got[f] {
			t.Errorf("no error on %s: %v", f, errs)
		}
	}
}

// Shifts that overlap would be counted twice in coverage: they are refused
// with the field named, across midnight and the week's end too; shifts that
// only touch, and overtime on a day of leave, are fine.
func TestOverlappingShiftsRefused(t *testing.T) {
	sh := func(day, from, to string) Shift { return Shift{Day: day, Start: from, End: to} }
	ot := func(date, from, to string) Exception {
		s := sh("", from, to)
		return Exception{Date: date, Kind: "overtime", Shift: &s}
	}
	for _, c := range []struct {
		name  string
		s     Schedule
		field string // "" when valid
	}{
		{"touching", Schedule{Weekly: []Shift{sh("mon", "09:00", "13:00"), sh("mon", "13:00", "17:00")}}, ""},
		{"same day", Schedule{Weekly: []Shift{sh("mon", "09:00", "13:00"), sh("mon", "12:00", "17:00")}}, "weekly[1]"},
		{"night into the next day", Schedule{Weekly: []Shift{sh("tue", "22:00", "06:00"), sh("wed", "05:00", "09:00")}}, "weekly[1]"},
		{"sunday night into monday", Schedule{Weekly: []Shift{sh("mon", "05:00", "09:00"), sh("sun", "22:00", "06:00")}}, "weekly[1]"},
		{"night shifts on different days", Schedule{Weekly: []Shift{sh("mon", "22:00", "06:00"), sh("tue", "22:00", "06:00")}}, ""},
		// 2026-03-10 is a Tuesday.
		{"overtime over a shift", Schedule{Weekly: []Shift{sh("tue", "09:00", "17:00")},
			Exceptions: []Exception{ot("2026-03-10", "16:00", "20:00")}}, "exceptions[0].shift"},
		{"overtime after a shift", Schedule{Weekly: []Shift{sh("tue", "09:00", "17:00")},
			Exceptions: []Exception{ot("2026-03-10", "17:00", "20:00")}}, ""},
		{"overtime on leave", Schedule{Weekly: []Shift{sh("tue", "09:00", "17:00")},
			Exceptions: []Exception{{Date: "2026-03-10", Kind: "leave"}, ot("2026-03-10", "10:00", "12:00")}}, ""},
		{"overtime night into the next day's shift", Schedule{Weekly: []Shift{sh("wed", "05:00", "09:00")},
			Exceptions: []Exception{ot("2026-03-10", "23:00", "06:00")}}, "exceptions[0].shift"},
		{"two overtimes", Schedule{Exceptions: []Exception{ot("2026-03-10", "10:00", "12:00"), ot("2026-03-10", "11:00", "13:00")}}, "exceptions[1].shift"},
	} {
		errs := c.s.Validate("Europe/Madrid")
		switch {
		case c.field == "" && len(errs) > 0:
			t.Errorf("%s: refused: %v", c.name, errs)
		case c.field != "" && (len(errs) == 0 || errs[0].Field != c.field):
			t.Errorf("%s: %v, want a refusal of %s", c.name, errs, c.field)
		}
	}
}

// Expanded intervals are all in the schedule's zone, the first one clipped
// to the start too.
func TestExpandInTheSchedulesZone(t *testing.T) {
	s := Schedule{TimeZone: "Europe/Madrid", Weekly: []Shift{{Day: "mon", Start: "09:00", End: "17:00"}}}
	from := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // 11:00 in Madrid, mid-shift
	ivs := s.Expand(from, from.Add(7*24*time.Hour))
	if len(ivs) == 0 {
		t.Fatal("no intervals")
	}
	for _, iv := range ivs {
		if iv.Start.Location().String() != "Europe/Madrid" || iv.End.Location().String() != "Europe/Madrid" {
			t.Fatalf("interval %v - %v not in the schedule's zone", iv.Start, iv.End)
		}
	}
	if !ivs[0].Start.Equal(from) {
		t.Fatalf("first interval starts %v, want %v", ivs[0].Start, from)
	}
}
