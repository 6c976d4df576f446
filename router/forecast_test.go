package router_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"switchboard/router"
	"switchboard/workforce"
)

// The seasonal average follows the queue's local time: sales-en runs on New
// York time, which moved to EDT on Sun 8 Mar 2026, so the same local
// interval is an hour earlier in UTC after the change.
func TestForecastSeasonalAverageAcrossDST(t *testing.T) {
	e := newEnv(t)
	create := func(n int) {
		for range n {
			if _, _, err := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "email", Queue: "sales-en"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.clk.Advance(5 * time.Minute) // Mon 2 Mar 09:05Z = 04:05 EST
	create(3)
	e.clk.Advance(7*24*time.Hour + 5*time.Minute) // Mon 9 Mar 09:10Z = 05:10 EDT
	create(1)
	from := time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC) // Mon 16 Mar 04:00 EDT
	rows, err := e.rt.Planning.Forecast(e.ctx, "sales-en", "email", from, from.Add(90*time.Minute), 30, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1.5, 0, 0.5} // 04:00 local: (3 + 0)/2; 04:30: 0; 05:00: (0 + 1)/2
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	for i, r := range rows {
		if r.Contacts != want[i] || r.Source != "seasonal_average" || r.Weeks != 2 {
			t.Errorf("%s: %+v, want %.1f contacts", r.Start.Format(time.RFC3339), r, want[i])
		}
	}
}

func TestUploadedForecastAndCoverage(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC) // Tue 10:00 in Madrid
	if err := e.rt.Planning.UploadForecast(e.ctx, []router.ForecastRow{
		{Queue: "support-es", Channel: "voice", Start: at, Minutes: 30, Contacts: 100, AHTSeconds: 180},
		{Queue: "support-es", Channel: "voice", Start: at.Add(30 * time.Minute), Minutes: 30, Contacts: 10, AHTSeconds: 180},
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Planning.UploadForecast(e.ctx, []router.ForecastRow{{Queue: "support-es", Channel: "voice", Start: at.Add(time.Minute), Minutes: 30, Contacts: -1}}); err == nil ||
		!strings.Contains(err.Error(), "rows[0].start") || !strings.Contains(err.Error(), "rows[0].contacts") {
		t.Fatalf("bad upload: %v", err)
	}
	// NaN fails every comparison: it is refused by name, not stored.
	if err := e.rt.Planning.UploadForecast(e.ctx, []router.ForecastRow{
		{Queue: "support-es", Channel: "voice", Start: at, Minutes: 30, Contacts: math.NaN(), AHTSeconds: 180},
		{Queue: "support-es", Channel: "voice", Start: at, Minutes: 30, Contacts: 10, AHTSeconds: math.NaN()}}); err == nil ||
		!strings.Contains(err.Error(), "rows[0].contacts") || !strings.Contains(err.Error(), "rows[1].aht_seconds") {
		t.Fatalf("NaN upload: %v", err)
	}
	// Two Spanish support agents on shift 09:00-17:00 Madrid time; one also
	// serves billing-es (it counts half for support).
	for id, skills := range map[string]map[string]int{"rosa": {"support": 3}, "pablo": {"support": 3, "billing": 3}} {
		if _, _, err := e.rt.Agents.SaveAgent(e.ctx, workforce.Agent{ID: id, Name: id, TimeZone: "Europe/Madrid", Languages: []string{"es"}, Skills: skills}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.rt.Planning.SaveSchedule(e.ctx, id, workforce.Schedule{Weekly: []workforce.Shift{{Day: "tue", Start: "09:00", End: "17:00"}}}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := e.rt.Planning.Coverage(e.ctx, "support-es", "voice", at, at.Add(time.Hour), 30, workforce.Target{ServiceLevel: 0.8, AnswerWithin: 20}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Scheduled != 1.5 || rows[0].Required <= 13 || rows[0].Required >= 14 || rows[0].Gap >= -11 ||
		rows[1].Required <= 1 || rows[1].Required >= 3 {
		t.Fatalf("coverage %+v", rows)
	}
	svg := router.CoverageSVG(router.Chart{Title: "support-es voice", Loc: e.rt.Planning.QueueLocation("support-es"), Shrinkage: 0.3}, rows)
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<rect") != 2 || !strings.Contains(svg, "#fb6a4a") {
		t.Fatalf("svg %s", svg)
	}
}

// An uploaded forecast read at another interval length is re-bucketed by
// overlap, both ways; a missing queue is named.
func TestUploadedForecastRebucketed(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	if err := e.rt.Planning.UploadForecast(e.ctx, []router.ForecastRow{
		{Queue: "support-es", Channel: "voice", Start: at, Minutes: 30, Contacts: 120, AHTSeconds: 180},
		{Queue: "support-es", Channel: "voice", Start: at.Add(30 * time.Minute), Minutes: 30, Contacts: 90, AHTSeconds: 240},
		{Queue: "support-es", Channel: "voice", Start: at.Add(time.Hour), Minutes: 60, Contacts: 100, AHTSeconds: 200},
	}); err != nil {
		t.Fatal(err)
	}
	read := func(minutes int) []float64 {
		rows, err := e.rt.Planning.Forecast(e.ctx, "support-es", "voice", at, at.Add(2*time.Hour), minutes, 4)
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, r := range rows {
			out = append(out, r.Contacts)
		}
		return out
	}
	if got := read(60); fmt.Sprint(got) != "[210 100]" {
		t.Errorf("hourly: %v, want [210 100]", got)
	}
	if got := read(15); fmt.Sprint(got) != "[60 60 45 45 25 25 25 25]" {
		t.Errorf("quarter-hourly: %v", got)
	}
	if got := read(30); fmt.Sprint(got) != "[120 90 50 50]" {
		t.Errorf("half-hourly: %v", got)
	}
	rows, _ := e.rt.Planning.Forecast(e.ctx, "support-es", "voice", at, at.Add(time.Hour), 60, 4)
	if want := (120.0*180 + 90*240) / 210; math.Abs(rows[0].AHTSeconds-want) > 1e-9 {
		t.Errorf("AHT %v, want %v (weighted by contacts)", rows[0].AHTSeconds, want)
	}
	if _, err := e.rt.Planning.Forecast(e.ctx, "", "voice", at, at.Add(time.Hour), 60, 4); err == nil || !strings.Contains(err.Error(), "queue: is required") {
		t.Errorf("no queue: %v", err)
	}
}
