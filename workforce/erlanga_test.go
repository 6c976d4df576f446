package workforce

import (
	"math"
	"testing"
)

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

// With customers who never give up, Erlang A is Erlang C.
func TestErlangAWithoutAbandonmentIsErlangC(t *testing.T) {
	l := Load{Contacts: 100, Interval: 1800, AHT: 180}
	for n := 11; n <= 15; n++ {
		a := ErlangA(l, n, 20, 1e12)
		c := ErlangCPerformance(l, n, 20)
		if !near(a.PWait, c.PWait, 1e-8) || !near(a.ServiceLevel, c.ServiceLevel, 1e-8) || !near(a.ASA, c.ASA, 1e-8) || a.Abandon > 1e-8 {
			t.Errorf("n=%d: Erlang A %+v, Erlang C %+v", n, a, c)
		}
	}
}

// Two independent routes through the model agree: the share answered
// (from each arrival's race against its patience) plus the share abandoned
// (from the chain's queue length, θ·Lq/λ) is 1; and busy agents equal the
// answered load (Little's law).
func TestErlangAConservation(t *testing.T) {
	l := Load{Contacts: 100, Interval: 1800, AHT: 180}
	for _, c := range []struct {
		n        int
		patience float64
	}{{8, 30}, {10, 60}, {12, 120}, {14, 300}} {
		a := ErlangA(l, c.n, 1e9, c.patience) // within "forever": the service level is the share answered
		if !near(a.ServiceLevel+a.Abandon, 1, 1e-9) {
			t.Errorf("%+v: answered %.12f + abandoned %.12f != 1", c, a.ServiceLevel, a.Abandon)
		}
		if !near(a.Occupancy*float64(c.n), l.Erlangs()*(1-a.Abandon), 1e-9) {
			t.Errorf("%+v: busy %.9f, answered load %.9f", c, a.Occupancy*float64(c.n), l.Erlangs()*(1-a.Abandon))
		}
		if !near(a.AverageWait, a.Abandon*c.patience, 1e-9) {
			t.Errorf("%+v: mean wait %.9f, P(ab)/θ %.9f", c, a.AverageWait, a.Abandon*c.patience)
		}
	}
}

// With impatient customers the true minimum can be below the offered load;
// a search that starts at the load (as Erlang C's must) would overstaff.
func TestStaffErlangABelowTheLoad(t *testing.T) {
	l := Load{Contacts: 100, Interval: 1800, AHT: 180} // 10 Erlangs
	target := Target{MaxAbandon: 0.15}
	n, p, frac := StaffErlangA(l, target, 600)
	if n >= 10 || p.Abandon > 0.15 {
		t.Fatalf("%d agents, abandonment %.4f", n, p.Abandon)
	}
	if prev := ErlangA(l, n-1, 0, 600); prev.Abandon <= 0.15 {
		t.Fatalf("%d agents already meet it (%.4f)", n-1, prev.Abandon)
	}
	if frac <= float64(n-1) || frac > float64(n) {
		t.Fatalf("fractional %.3f", frac)
	}
	t.Logf("abandonment ≤ 15 %% with 10 min patience at 10 Erlangs: %d agents (%.3f), abandonment %.2f %%", n, frac, 100*p.Abandon)
}

// With mean patience equal to the mean handle time (θ = μ) every contact in
// the system leaves at the same rate, so their number is Poisson(λ/μ), as in
// M/M/∞ (Mandelbaum & Zeltyn, "Service engineering in action: the
// Palm/Erlang-A queue"). Then P(wait) = P(N ≥ n) and P(abandon) =
// E[(N − n)+] / (λ/μ): reference values from exact rational sums (Python
// fractions) for 10 Erlangs.
func TestErlangAPoissonCase(t *testing.T) {
	l := Load{Contacts: 100, Interval: 1800, AHT: 180}
	for _, c := range []struct {
		n            int
		pwait, aband float64
	}{
		{8, 0.779779353398, 0.246035096399},
		{10, 0.542070285528, 0.125110035721},
		{12, 0.303223853697, 0.0530916253707},
		{14, 0.135535577381, 0.0186937152722},
	} {
		a := ErlangA(l, c.n, 20, 180)
		if !near(a.PWait, c.pwait, 1e-9) || !near(a.Abandon, c.aband, 1e-9) {
			t.Errorf("n=%d: P(wait) %.12g (want %.12g), P(abandon) %.12g (want %.12g)", c.n, a.PWait, c.pwait, a.Abandon, c.aband)
		}
	}
}
