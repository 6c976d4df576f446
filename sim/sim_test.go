package sim_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"switchboard/config"
	"switchboard/internal/redistest"
	"switchboard/sim"
	"switchboard/workforce"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func agents(n int, skills map[string]int, langs ...string) []sim.SimAgent {
	var out []sim.SimAgent
	for i := range n {
		out = append(out, sim.SimAgent{Agent: workforce.Agent{ID: fmt.Sprintf("a%03d-%s", i, langs[0]), Name: "sim", TimeZone: "UTC",
			Languages: langs, Skills: skills, Capacity: map[string]int{"voice": 1}}})
	}
	return out
}

// One queue, one skill, exponential handle times: the simulator on the real
// engine must agree with Erlang C, and with exponential patience with Erlang A,
// within 2 percentage points. 12,000 simulated contacts (seed 42): the
// binomial standard error of a service level near 0.89 is 0.3 points.
func TestSimulatorAgreesWithTheory(t *testing.T) {
	if testing.Short() {
		t.Skip("long simulation")
	}
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	const perInterval, aht, n, intervals = 100.0, 180.0, 14, 120
	demand := make([]float64, intervals)
	for i := range demand {
		demand[i] = perInterval
	}
	zero := 0.0
	load := workforce.Load{Contacts: perInterval, Interval: 1800, AHT: aht}
	for _, c := range []struct {
		name     string
		patience float64
		sl, ab   float64
	}{
		{"Erlang C", 0, workforce.ErlangCPerformance(load, n, 20).ServiceLevel, 0},
		{"Erlang A", 180, workforce.ErlangA(load, n, 20, 180).ServiceLevel, workforce.ErlangA(load, n, 20, 180).Abandon},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := sim.Run(context.Background(), redistest.Client(t), cfg, sim.Scenario{
				Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Minutes: 30,
				Demand:              []sim.Demand{{Queue: "support-en", Channel: "voice", AHTSeconds: aht, Contacts: demand}},
				Agents:              agents(n, map[string]int{"support": 3}, "en"),
				PatienceSeconds:     c.patience,
				AnswerWithinSeconds: 20,
				WrapUpSeconds:       &zero,
				Seed:                42,
			})
			if err != nil {
				t.Fatal(err)
			}
			tot := rep.Totals[0]
			t.Logf("%d contacts in %s (%.0f contacts/s): service level %.4f (theory %.4f), abandonment %.4f (theory %.4f), occupancy %.3f",
				rep.Contacts, rep.Wall.Round(time.Millisecond), rep.ContactsPerSecond, tot.ServiceLevel, c.sl, tot.AbandonRate, c.ab, rep.Occupancy)
			if rep.Contacts < 11000 {
				t.Fatalf("only %d contacts", rep.Contacts)
			}
			if math.Abs(tot.ServiceLevel-c.sl) > 0.02 || math.Abs(tot.AbandonRate-c.ab) > 0.02 {
				t.Fatalf("simulation %.4f / %.4f, theory %.4f / %.4f", tot.ServiceLevel, tot.AbandonRate, c.sl, c.ab)
			}
		})
	}
}

// BenchmarkSimulatedDay measures one simulated day of a 500-agent center
// taking 50,000 contacts over 10 queues (go test ./sim -run '^$' -bench Day -benchtime 1x).
func BenchmarkSimulatedDay(b *testing.B) {
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		b.Fatal(err)
	}
	qs := []struct{ q, lang string }{{"support-en", "en"}, {"support-es", "es"}, {"support-fr", "fr"}, {"support-pt", "pt"},
		{"billing-en", "en"}, {"billing-es", "es"}, {"billing-fr", "fr"}, {"sales-en", "en"}, {"sales-es", "es"}, {"sales-pt", "pt"}}
	var demand []sim.Demand
	for _, q := range qs {
		per := make([]float64, 48)
		for i := range per {
			per[i] = 5000.0 / 48 // 5,000 contacts a day per queue
		}
		demand = append(demand, sim.Demand{Queue: q.q, Channel: "voice", AHTSeconds: 600, Contacts: per})
	}
	var ag []sim.SimAgent
	langs := []string{"en", "es", "fr", "pt"}
	for i := range 500 {
		l := langs[i%4]
		ag = append(ag, sim.SimAgent{Agent: workforce.Agent{ID: fmt.Sprintf("agent%03d", i), Name: "sim", TimeZone: "UTC",
			Languages: []string{l}, Skills: map[string]int{"support": 3, "billing": 3, "sales": 3}, Capacity: map[string]int{"voice": 1}}})
	}
	zero := 0.0
	for b.Loop() {
		rep, err := sim.Run(context.Background(), redistest.Client(b), cfg, sim.Scenario{
			Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Minutes: 30, Demand: demand, Agents: ag,
			PatienceSeconds: 300, AnswerWithinSeconds: 20, WrapUpSeconds: &zero, Seed: 1,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.Contacts), "contacts")
		b.ReportMetric(rep.ContactsPerSecond, "contacts/s")
		b.ReportMetric(rep.Wall.Seconds(), "wall-s")
	}
}

// Occupancy counts busy time against time on duty, interval by interval:
// an agent scheduled only for the second hour is busy all of it.
func TestOccupancyByInterval(t *testing.T) {
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	zero := 0.0
	a := agents(1, map[string]int{"support": 3}, "en")
	a[0].Schedule = &workforce.Schedule{TimeZone: "UTC", Weekly: []workforce.Shift{{Day: "mon", Start: "01:00", End: "02:00"}}}
	rep, err := sim.Run(context.Background(), redistest.Client(t), cfg, sim.Scenario{
		Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Minutes: 60,
		// A long queue of long calls from the start: whenever on duty, busy.
		Demand:        []sim.Demand{{Queue: "support-en", Channel: "voice", AHTSeconds: 36000, Contacts: []float64{50, 0}}},
		Agents:        a,
		WrapUpSeconds: &zero, HandleTime: "lognormal", HandleCV: 0.01, Seed: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.ByInterval) != 2 || rep.ByInterval[0].Occupancy != 0 || rep.ByInterval[1].Occupancy != 1 || rep.Occupancy != 1 {
		t.Fatalf("occupancy %+v overall %.3f", rep.ByInterval, rep.Occupancy)
	}
}

// In the bilingual example the 4 bilingual agents split their time: every
// interval's effective agents add up to the 17 on duty, and English gets
// fewer than the 14 a per-queue count gives it, Spanish fewer than 7.
func TestEffectiveAgentsSplitBilinguals(t *testing.T) {
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	zero := 0.0
	ag := append(append(agents(10, map[string]int{"support": 3}, "en"), agents(3, map[string]int{"support": 3}, "es")...),
		agents(4, map[string]int{"support": 3}, "en", "es")...)
	for i := range ag[13:] { // distinct ids for the bilingual agents
		ag[13+i].ID = fmt.Sprintf("bi%02d", i)
	}
	rep, err := sim.Run(context.Background(), redistest.Client(t), cfg, sim.Scenario{
		Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Minutes: 30, AnswerWithinSeconds: 20, WrapUpSeconds: &zero, Seed: 7,
		Demand: []sim.Demand{
			{Queue: "support-en", Channel: "voice", AHTSeconds: 180, Contacts: []float64{100, 100, 100, 100}},
			{Queue: "support-es", Channel: "voice", AHTSeconds: 180, Contacts: []float64{40, 40, 40, 40}},
		},
		Agents: ag,
	})
	if err != nil {
		t.Fatal(err)
	}
	per := map[time.Time]map[string]float64{}
	for _, e := range rep.Effective {
		if per[e.Start] == nil {
			per[e.Start] = map[string]float64{}
		}
		per[e.Start][e.Queue] = e.Agents
	}
	if len(per) != 4 {
		t.Fatalf("effective %+v", rep.Effective)
	}
	for at, q := range per {
		if sum := q["support-en"] + q["support-es"]; math.Abs(sum-17) > 1e-9 || q["support-en"] >= 14 || q["support-es"] >= 7 || q["support-es"] <= 3 {
			t.Fatalf("%s: %+v (sum %.3f)", at.Format(time.RFC3339), q, q["support-en"]+q["support-es"])
		}
	}
}

// Replications side by side give intervals: the 95 % intervals of the
// service level, the abandonment and the occupancy contain Erlang C's and
// Erlang A's values; with a wrap-up, the occupancy counts it as staffing
// does (in the handle time). Seeds are fixed: the run is the same every time.
func TestReplicationIntervalsContainTheory(t *testing.T) {
	if testing.Short() {
		t.Skip("long simulation")
	}
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	const perInterval, n, intervals = 100.0, 14, 12
	demand := make([]float64, intervals)
	for i := range demand {
		demand[i] = perInterval
	}
	for _, c := range []struct {
		name          string
		aht, wrap     float64
		patience      float64
		serviceLevels bool // exponential handle times: the service level is Erlang's too
	}{
		{"Erlang C", 180, 0, 0, true},
		{"Erlang A", 180, 0, 180, true},
		{"wrap-up in occupancy", 150, 30, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			wrap := c.wrap
			// Staffing counts wrap-up in the handle time: 180 s in all.
			load := workforce.Load{Contacts: perInterval, Interval: 1800, AHT: c.aht + c.wrap}
			perf := workforce.ErlangAPerformance{Performance: workforce.ErlangCPerformance(load, n, 20)}
			if c.patience > 0 {
				perf = workforce.ErlangA(load, n, 20, c.patience)
			}
			rep, err := sim.Run(context.Background(), redistest.Client(t), cfg, sim.Scenario{
				Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Minutes: 30,
				Demand:              []sim.Demand{{Queue: "support-en", Channel: "voice", AHTSeconds: c.aht, Contacts: demand}},
				Agents:              agents(n, map[string]int{"support": 3}, "en"),
				PatienceSeconds:     c.patience,
				AnswerWithinSeconds: 20,
				WrapUpSeconds:       &wrap,
				Seed:                7,
				Replications:        4,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Replications != 4 || len(rep.Confidence) != 1 || rep.OccupancyCI == nil {
				t.Fatalf("report without intervals: %+v", rep)
			}
			ci := rep.Confidence[0]
			occ := load.Erlangs() * (1 - perf.Abandon) / n
			t.Logf("%d contacts in %s: service level %.4f ± %.4f (theory %.4f), abandonment %.4f ± %.4f (theory %.4f), occupancy %.4f ± %.4f (theory %.4f)",
				rep.Contacts, rep.Wall.Round(time.Millisecond), ci.ServiceLevel.Mean, ci.ServiceLevel.HalfWide, perf.ServiceLevel,
				ci.AbandonRate.Mean, ci.AbandonRate.HalfWide, perf.Abandon, rep.OccupancyCI.Mean, rep.OccupancyCI.HalfWide, occ)
			within := func(what string, v float64, in sim.Interval) {
				if v < in.Low || v > in.High {
					t.Errorf("%s: theory %.4f outside [%.4f, %.4f]", what, v, in.Low, in.High)
				}
			}
			within("occupancy", occ, *rep.OccupancyCI)
			if c.serviceLevels {
				within("service level", perf.ServiceLevel, ci.ServiceLevel)
			}
			if c.patience > 0 {
				within("abandonment", perf.Abandon, ci.AbandonRate)
			}
		})
	}
}
