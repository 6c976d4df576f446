package workforce

import (
	"context"
	"math"
	"testing"
)

// Reference values computed independently with exact rational arithmetic for
// the probability of waiting (Python fractions), then floating point for the
// exponential. The first example is the classic published one (Call Centre
// Helper's Erlang C worked example: 100 calls per 30 minutes, 180 s average
// handle time, 80 % in 20 s): 13 agents give 79.6 %, 14 give 88.8 %, with a
// probability of waiting of 17.4 % and an ASA of 7.8 s; the second is
// Westbay Engineers' step-by-step example (360 calls per 30 minutes, 240 s,
// 55 agents, 15 s).
func TestErlangCMatchesReference(t *testing.T) {
	classic := Load{Contacts: 100, Interval: 1800, AHT: 180}
	cases := []struct {
		load                Load
		n                   int
		within              float64
		pwait, sl, asa, occ float64
	}{
		{classic, 11, 20, 0.682118204689, 0.389613811729, 122.781276844, 10.0 / 11},
		{classic, 12, 20, 0.449388224298, 0.640158040374, 40.4449401868, 10.0 / 12},
		{classic, 13, 20, 0.285270453036, 0.795594788418, 17.1162271822, 10.0 / 13},
		{classic, 14, 20, 0.174131933595, 0.888350019179, 7.83593701178, 10.0 / 14},
		{classic, 15, 20, 0.102042367008, 0.941452842869, 3.67352521229, 10.0 / 15},
		{Load{Contacts: 360, Interval: 1800, AHT: 240}, 55, 15, 0.238700936378, 0.845883092171, 8.18403210439, 48.0 / 55},
	}
	for _, c := range cases {
		p := ErlangCPerformance(c.load, c.n, c.within)
		for _, v := range []struct {
			name      string
			got, want float64
		}{{"P(wait)", p.PWait, c.pwait}, {"service level", p.ServiceLevel, c.sl}, {"ASA", p.ASA, c.asa}, {"occupancy", p.Occupancy, c.occ}} {
			if rel := math.Abs(v.got-v.want) / v.want; rel > 1e-9 {
				t.Errorf("n=%d %s = %.12g, want %.12g (relative error %.1e)", c.n, v.name, v.got, v.want, rel)
			}
		}
	}
}

func TestStaffErlangCFindsTheMinimum(t *testing.T) {
	classic := Load{Contacts: 100, Interval: 1800, AHT: 180}
	cases := []struct {
		target Target
		agents int
	}{
		{Target{ServiceLevel: 0.8, AnswerWithin: 20}, 14}, // 13 give 79.56 %
		{Target{ServiceLevel: 0.79, AnswerWithin: 20}, 13},
		{Target{ASA: 20}, 13},           // 13 give 17.1 s, 12 give 40.4 s
		{Target{MaxOccupancy: 0.7}, 15}, // 10/14 = 0.714 > 0.7
		{Target{ServiceLevel: 0.8, AnswerWithin: 20, MaxOccupancy: 0.7}, 15},
	}
	for _, c := range cases {
		r, _ := StaffErlangC(context.Background(), classic, c.target)
		if r.Agents != c.agents {
			t.Errorf("%+v: %d agents, want %d", c.target, r.Agents, c.agents)
		}
		// The minimum: one agent fewer misses the target.
		if r.Agents > 11 && c.target.met(ErlangCPerformance(classic, r.Agents-1, c.target.AnswerWithin)) {
			t.Errorf("%+v: %d agents already meet it", c.target, r.Agents-1)
		}
		if r.Fractional <= float64(r.Agents-1) || r.Fractional > float64(r.Agents) {
			t.Errorf("%+v: fractional %.3f outside (%d, %d]", c.target, r.Fractional, r.Agents-1, r.Agents)
		}
	}
	// Occupancy is exact: 10 Erlangs at 70 % need 14.2857 agents.
	if r, _ := StaffErlangC(context.Background(), classic, Target{MaxOccupancy: 0.7}); math.Abs(r.Fractional-10/0.7) > 1e-9 {
		t.Errorf("fractional %.6f, want %.6f", r.Fractional, 10/0.7)
	}
}
