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
