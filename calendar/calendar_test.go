package calendar

import (
	"testing"
	"time"
	_ "time/tzdata" // the test's zones, whatever the machine has
)

func cal(t *testing.T, zone string, weekdays []string, holidays []string, special map[string][]string) *Calendar {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	c := &Calendar{Loc: loc, Closed: map[Date]bool{}, Special: map[Date][]Range{}}
	var rs []Range
	for _, w := range weekdays {
		r, err := ParseRange(w)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Weekly[d] = rs
	}
	for _, h := range holidays {
		d, err := ParseDate(h)
		if err != nil {
			t.Fatal(err)
		}
		c.Closed[d] = true
	}
	for day, ranges := range special {
		d, _ := ParseDate(day)
		for _, s := range ranges {
			r, _ := ParseRange(s)
			c.Special[d] = append(c.Special[d], r)
		}
	}
	return c
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Due times worked out by hand; each case says how.
func TestAddBusinessTime(t *testing.T) {
	ny := cal(t, "America/New_York", []string{"09:00-17:00"}, nil, nil)
	madrid := cal(t, "Europe/Madrid", []string{"09:00-14:00", "15:00-18:00"}, []string{"2026-12-08"},
		map[string][]string{"2026-12-24": {"09:00-13:00"}})
	tokyo := cal(t, "Asia/Tokyo", []string{"09:00-18:00"}, []string{"2026-11-23"}, nil)
	always := &Calendar{Loc: ny.Loc}
	for d := range always.Weekly {
		always.Weekly[d] = []Range{{0, 1440}}
	}
	cases := []struct {
		name  string
		c     *Calendar
		start string
		d     time.Duration
		want  string
	}{
		// Fri 6 Mar 16:00 EST: 1h Fri, 8h Mon 9 (EDT from Sun 8), 8h Tue, 7h
		// Wed -> Wed 11 Mar 16:00 EDT = 20:00Z.
		{"New York across the March DST change", ny, "2026-03-06T21:00:00Z", 24 * time.Hour, "2026-03-11T20:00:00Z"},
		// Always open: 24 business hours are 24 real hours, even over the
		// 23-hour day: Sat 7 Mar 12:00 EST (17:00Z) -> Sun 8 Mar 13:00 EDT (17:00Z).
		{"always open over a 23-hour day", always, "2026-03-07T17:00:00Z", 24 * time.Hour, "2026-03-08T17:00:00Z"},
		// Mon 7 Dec 17:55 CET: 5 min Mon, Tue 8 holiday, 8h Wed, 8h Thu,
		// 5h Fri morning, 2h55 Fri afternoon -> Fri 11 Dec 17:55 CET = 16:55Z.
		{"Madrid with a holiday", madrid, "2026-12-07T16:55:00Z", 24 * time.Hour, "2026-12-11T16:55:00Z"},
		// Thu 24 Dec (09:00-13:00 only) at 12:00 CET: 1h, Fri 25 Dec is a
		// weekday with normal hours here: 2h -> Fri 25 Dec 11:00 CET = 10:00Z.
		{"Madrid with short hours on an exception day", madrid, "2026-12-24T11:00:00Z", 3 * time.Hour, "2026-12-25T10:00:00Z"},
		// Fri 20 Nov 20:00 JST (closed), Mon 23 Nov holiday -> Tue 24 Nov
		// 09:00 + 2h = 11:00 JST = 02:00Z.
		{"Tokyo over a weekend and a holiday", tokyo, "2026-11-20T11:00:00Z", 2 * time.Hour, "2026-11-24T02:00:00Z"},
		// Starting inside hours: Tue 24 Nov 17:30 JST + 1h = 30 min Tue, 30 min
		// Wed -> Wed 25 Nov 09:30 JST = 00:30Z.
		{"Tokyo across the evening", tokyo, "2026-11-24T08:30:00Z", time.Hour, "2026-11-25T00:30:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := c.c.Add(utc(c.start), c.d)
			if !ok || !got.Equal(utc(c.want)) {
				t.Fatalf("Add(%s, %s) = %s, want %s", c.start, c.d, got.UTC().Format(time.RFC3339), c.want)
			}
		})
	}
}

func TestOpenAndNextOpen(t *testing.T) {
	madrid := cal(t, "Europe/Madrid", []string{"09:00-14:00", "15:00-18:00"}, []string{"2026-12-08"}, nil)
	cases := []struct {
		at   string
		open bool
		next string
	}{
		{"2026-12-07T08:30:00Z", true, "2026-12-07T08:30:00Z"},  // Mon 09:30 CET
		{"2026-12-07T13:30:00Z", false, "2026-12-07T14:00:00Z"}, // lunch, opens 15:00 CET
		{"2026-12-07T17:00:00Z", false, "2026-12-09T08:00:00Z"}, // Mon 18:00 CET, Tue holiday
		{"2026-12-12T10:00:00Z", false, "2026-12-14T08:00:00Z"}, // Saturday
	}
	for _, c := range cases {
		if got := madrid.Open(utc(c.at)); got != c.open {
			t.Errorf("Open(%s) = %v", c.at, got)
		}
		if got, ok := madrid.NextOpen(utc(c.at)); !ok || !got.Equal(utc(c.next)) {
			t.Errorf("NextOpen(%s) = %s, want %s", c.at, got.UTC().Format(time.RFC3339), c.next)
		}
	}
	never := &Calendar{Loc: time.UTC}
	if _, ok := never.Add(utc("2026-01-01T00:00:00Z"), time.Hour); ok {
		t.Error("a calendar that never opens gave a due time")
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"9-17", "09:00-08:00", "25:00-26:00", "09:60-10:00", "09:00", "24:30-24:45"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if r, err := ParseRange("18:00-24:00"); err != nil || r != (Range{1080, 1440}) {
		t.Errorf("18:00-24:00: %v %v", r, err)
	}
	if _, err := Normalize([]Range{{600, 700}, {650, 800}}); err == nil {
		t.Error("overlap accepted")
	}
}

// A moment for a customer: their language's date and time, the queue's zone.
func TestFormatWhen(t *testing.T) {
	madrid, _ := time.LoadLocation("Europe/Madrid")
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // 09:00 in Madrid
	for lang, want := range map[string]string{
		"en":    "Monday, March 2, 2026 9:00 AM CET",
		"es":    "lunes, 2 de marzo de 2026 09:00 CET",
		"es-MX": "lunes, 2 de marzo de 2026 09:00 CET",
		"fr":    "lundi 2 mars 2026 09:00 CET",
		"pt":    "segunda-feira, 2 de março de 2026 09:00 CET",
		"":      "Monday, March 2, 2026 9:00 AM CET",
	} {
		if got := FormatWhen(at, madrid, lang); got != want {
			t.Errorf("%q: %q, want %q", lang, got, want)
		}
	}
}
