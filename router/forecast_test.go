package router_test

import (
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
	svg := router.CoverageSVG("support-es voice", rows)
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<rect") != 2 || !strings.Contains(svg, "#fb6a4a") {
		t.Fatalf("svg %s", svg)
	}
}
