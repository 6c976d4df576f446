package workforce

import (
	"context"
	"fmt"
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
	n, p, frac, err := StaffErlangA(context.Background(), l, target, 600)
	if err != nil {
		t.Fatal(err)
	}
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

// odeServiceLevel is a second, independent route to Erlang A's service
// level: the chain's stationary distribution summed directly in log space,
// and each waiting arrival followed as a Markov chain (j waiting ahead; j
// falls at rate nμ + jθ, the arrival is served from 0 at rate nμ and gives
// up at rate θ), integrated with RK4 up to the target.
func odeServiceLevel(l Load, n int, within, patience float64) float64 {
	lambda, mu, theta := l.Contacts/l.Interval, 1/l.AHT, 1/patience
	nmu := float64(n) * mu
	var logs []float64
	lw := 0.0
	for k := 0; ; k++ {
		logs = append(logs, lw)
		var death float64
		if k+1 <= n {
			death = float64(k+1) * mu
		} else {
			death = nmu + float64(k+1-n)*theta
		}
		lw += math.Log(lambda / death)
		if k > n+10 && death > lambda && lw < logs[n]-60 && lw < maxOf(logs)-60 {
			break
		}
	}
	top := maxOf(logs)
	var total float64
	for _, v := range logs {
		total += math.Exp(v - top)
	}
	p := func(k int) float64 { return math.Exp(logs[k]-top) / total }
	noWait := 0.0
	for k := 0; k < n; k++ {
		noWait += p(k)
	}
	J := len(logs) - n
	q := make([]float64, J)
	for j := range q {
		q[j] = p(n + j)
	}
	deriv := func(q []float64) []float64 {
		d := make([]float64, J)
		for j := range q {
			d[j] = -(nmu + float64(j)*theta + theta) * q[j]
			if j+1 < J {
				d[j] += (nmu + float64(j+1)*theta) * q[j+1]
			}
		}
		return d
	}
	rate := nmu + float64(J+1)*theta
	steps := int(math.Ceil(within * rate / 0.25))
	h := within / float64(steps)
	served := 0.0
	axpy := func(x []float64, s float64, y []float64) []float64 {
		out := make([]float64, J)
		for i := range x {
			out[i] = x[i] + s*y[i]
		}
		return out
	}
	for range steps {
		k1 := deriv(q)
		k2 := deriv(axpy(q, h/2, k1))
		k3 := deriv(axpy(q, h/2, k2))
		k4 := deriv(axpy(q, h, k3))
		// Served flow nμ·q_0, integrated with the same weights.
		served += h / 6 * nmu * (q[0] + 2*axpy(q, h/2, k1)[0] + 2*axpy(q, h/2, k2)[0] + axpy(q, h, k3)[0])
		for i := range q {
			q[i] += h / 6 * (k1[i] + 2*k2[i] + 2*k3[i] + k4[i])
		}
	}
	return noWait + served
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// Erlang A's service level against the independent route over a grid of
// loads, patience and targets, targets much longer than the handle time
// and the patience included.
func TestErlangAServiceLevelAgainstODE(t *testing.T) {
	worst := 0.0
	for _, c := range []struct {
		contacts, aht float64 // per 30 min
		patience      float64
		agentsOff     []int // staffing relative to the load
	}{
		{100, 180, 60, []int{-3, 0, 2}},
		{100, 180, 600, []int{-2, 1, 4}},
		{400, 240, 180, []int{-5, 0, 5}},
		{150, 600, 7200, []int{-10, -6, 0}}, // e-mail like: 300/h, 10 min, 2 h patience
		{30, 900, 3600, []int{-4, 0, 3}},
	} {
		l := Load{Contacts: c.contacts, Interval: 1800, AHT: c.aht}
		for _, off := range c.agentsOff {
			n := int(math.Round(l.Erlangs())) + off
			for _, within := range []float64{20, c.aht, 3 * c.patience, 14400} {
				got := ErlangA(l, n, within, c.patience).ServiceLevel
				want := odeServiceLevel(l, n, within, c.patience)
				if d := math.Abs(got - want); d > 1e-6 {
					t.Errorf("%v Erlangs, n=%d, patience %v, within %v: %.9f, ODE %.9f", l.Erlangs(), n, c.patience, within, got, want)
				} else {
					worst = math.Max(worst, d)
				}
			}
		}
	}
	t.Logf("largest difference from the ODE route: %.2g", worst)
}

// The e-mail case: 300 contacts an hour, 10 minutes each, 2 hours of
// patience, 80 % within 4 hours: 41 agents suffice.
func TestErlangALongTarget(t *testing.T) {
	l := Load{Contacts: 300, Interval: 3600, AHT: 600}
	n, p, _, err := StaffErlangA(context.Background(), l, Target{ServiceLevel: 0.8, AnswerWithin: 4 * 3600}, 7200)
	if err != nil {
		t.Fatal(err)
	}
	if n != 41 || math.Abs(p.ServiceLevel-0.820) > 0.001 {
		t.Fatalf("%d agents, service level %.4f; want 41 at 0.820", n, p.ServiceLevel)
	}
	if prev := ErlangA(l, 40, 4*3600, 7200); prev.ServiceLevel >= 0.8 {
		t.Fatalf("40 agents already reach %.4f", prev.ServiceLevel)
	}
}

// Large loads give finite, monotone results, and a search that is
// canceled stops.
func TestErlangALargeLoads(t *testing.T) {
	for _, erl := range []float64{100, 1000, 5000} {
		for _, patience := range []float64{180, 2400} {
			l := Load{Contacts: erl / 180 * 1800, Interval: 1800, AHT: 180}
			n, p, _, err := StaffErlangA(context.Background(), l, Target{ServiceLevel: 0.8, AnswerWithin: 20}, patience)
			if err != nil {
				t.Fatal(err)
			}
			prev := ErlangA(l, n-1, 20, patience)
			for _, v := range []float64{p.ServiceLevel, p.ASA, p.Abandon, p.Occupancy, p.AverageWait} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%v Erlangs, patience %v: %+v", erl, patience, p)
				}
			}
			if !(prev.ServiceLevel < 0.8 && p.ServiceLevel >= 0.8 && prev.Abandon >= p.Abandon && prev.ASA >= p.ASA) {
				t.Fatalf("%v Erlangs, patience %v: %d agents %+v, one fewer %+v", erl, patience, n, p, prev)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := StaffErlangA(ctx, Load{Contacts: 1000, Interval: 1800, AHT: 180}, Target{ServiceLevel: 0.8, AnswerWithin: 20}, 2400); err == nil {
		t.Fatal("a canceled search went on")
	}
}

// One interval's Erlang A staffing (80 % in 20 s) at 100, 1,000 and 5,000
// Erlangs, patience 3 and 40 minutes.
func BenchmarkStaffErlangA(b *testing.B) {
	for _, erl := range []float64{100, 1000, 5000} {
		for _, patience := range []float64{180, 2400} {
			l := Load{Contacts: erl / 180 * 1800, Interval: 1800, AHT: 180}
			b.Run(fmt.Sprintf("erlangs=%v/patience=%v", erl, patience), func(b *testing.B) {
				for b.Loop() {
					if _, _, _, err := StaffErlangA(context.Background(), l, Target{ServiceLevel: 0.8, AnswerWithin: 20}, patience); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
