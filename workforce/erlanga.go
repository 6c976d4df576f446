package workforce

import (
	"context"
	"errors"
	"math"
)

// Erlang A (M/M/n+M): Erlang C with customers who abandon after an
// exponential patience of mean Patience seconds (Palm; Mandelbaum & Zeltyn,
// "Service engineering in action: the Palm/Erlang-A queue").
//
// The stationary distribution of the birth-death chain (births λ, deaths
// kμ up to n agents busy, nμ + jθ with j waiting) is summed in one pass in
// linear space with running rescaling, until its terms no longer matter.
//
// The waiting time, for an arrival that finds j waiting ahead: its offered
// wait V (until an agent would take it, were it infinitely patient) is j+1
// stages of rates nμ + iθ, i = j … 0: the (j+1)-th order statistic of
// x + j exponential lifetimes of rate θ, with x = nμ/θ. With its own
// patience τ ~ Exp(θ), the probability it is answered within t is
//
//	P(V ≤ t, τ > V) = x/(x+j+1) · I_{1−e^{−θt}}(j+1, x+1)
//
// (I the regularised incomplete beta), exact for every t; and given it is
// answered, its mean wait is Σ_{i=1}^{j+1} 1/(nμ + iθ). I is summed as
// 1 − Σ_{i≤j} NegBin(i; x+1, 1−e^{−θt}), a running sum of positive terms.
// Each evaluation is O(n + queue length): no quadratic term, no
// uniformization whose length grows with the target.

// ErlangAPerformance is what n agents achieve against a load when customers
// have a mean patience (seconds).
type ErlangAPerformance struct {
	Performance
	// AverageWait is the mean wait of all contacts, answered or not.
	AverageWait float64 `json:"average_wait_seconds"`
	// ServiceLevelAnswered is the share of the answered contacts answered
	// within the target (abandoned contacts left out); ServiceLevel counts
	// them as missed.
	ServiceLevelAnswered float64 `json:"service_level_of_answered"`
}

// maxChain bounds the states one evaluation sums (agents plus waiting):
// staffing refuses loads whose queue could grow beyond it (see Staff).
const maxChain = 2000000

// ErlangA computes the performance of n agents; answerWithin is the service
// level's target answer time. ServiceLevel is the share of all contacts
// answered within it (abandoned contacts count as missed); ASA is the mean
// wait of the answered contacts.
func ErlangA(l Load, n int, answerWithin, patience float64) ErlangAPerformance {
	lambda, mu, theta := l.Contacts/l.Interval, 1/l.AHT, 1/patience
	a, nmu := lambda/mu, float64(n)*mu
	const big, small = 1e200, 1e-200
	// Sums over the chain, all scaled by the same running factor.
	var total, busy, waiting, queue float64
	w := 1.0
	for k := 1; k <= n; k++ {
		busy += float64(k-1) * w
		total += w
		w *= a / float64(k)
		if w > big {
			w, total, busy = w*small, total*small, busy*small
		}
	}
	// w is state n now; states n+j follow.
	// Waiting-time terms for the arrivals that find j waiting.
	t := math.Max(answerWithin, 0)
	logU := -theta * t                     // log e^{-θt}
	z := -math.Expm1(logU)                 // 1 − e^{-θt}
	logNB0 := (nmu + theta) * logU / theta // (x+1)·log u, computed without x
	var nbScaled, nbSum, nbLog float64 = 1, 0, 0
	cdone := z == 0 // I = 0 for every j: nothing is answered "within 0" after waiting
	var served, within, servedWait, harmonic float64
	for j := 0; ; j++ {
		k := n + j
		if k > maxChain {
			break
		}
		total += w
		busy += float64(n) * w
		waiting += w
		queue += float64(j) * w
		// This arrival: answered with probability x/(x+j+1).
		rate := nmu + float64(j+1)*theta // nμ + (j+1)θ
		pass := nmu / rate
		harmonic += 1 / rate
		var inT float64
		if !cdone {
			// C_j = Σ_{i≤j} NB(i); NB(i) = NB(i−1)·z·(x+i)/i.
			if j > 0 {
				nbScaled *= z * (nmu + float64(j)*theta) / (float64(j) * theta)
			}
			nbSum += nbScaled
			if nbSum > big {
				nbScaled, nbSum, nbLog = nbScaled*small, nbSum*small, nbLog-math.Log(small)
			}
			c := math.Exp(logNB0 + nbLog + math.Log(nbSum))
			if c >= 1 {
				cdone = true
			} else {
				inT = 1 - c
			}
		}
		served += w * pass
		within += w * pass * inT
		servedWait += w * pass * harmonic
		// The next state.
		death := nmu + float64(j+1)*theta
		next := w * lambda / death
		if death > lambda && next < 1e-18*total {
			break
		}
		w = next
		if w > big {
			w, total, busy, waiting, queue = w*small, total*small, busy*small, waiting*small, queue*small
			served, within, servedWait = served*small, within*small, servedWait*small
		}
	}
	pWait := waiting / total
	perf := ErlangAPerformance{
		Performance: Performance{Agents: n, PWait: pWait, Occupancy: busy / total / float64(n),
			Abandon: theta * (queue / total) / lambda},
		AverageWait: queue / total / lambda,
	}
	noWait := 1 - pWait
	answered := noWait + served/total
	perf.ServiceLevel = noWait + within/total
	if answered > 0 {
		perf.ASA = servedWait / total / answered
		perf.ServiceLevelAnswered = perf.ServiceLevel / answered
	}
	return perf
}

// maxAgents bounds a staffing search: beyond it the target is out of reach.
const maxAgents = 100000

// ErrUnreachable says no staffing up to maxAgents meets the target.
var ErrUnreachable = errors.New("no staffing up to 100,000 agents meets the target")

// StaffErlangA finds the fewest agents that meet the target with
// abandonment, and the fractional requirement. Every measure improves with
// each agent, so the search gallops from the offered load (down when it is
// met there: with impatient customers the minimum can be below the load;
// up when it is not) and bisects. It stops when ctx ends.
func StaffErlangA(ctx context.Context, l Load, t Target, patience float64) (int, ErlangAPerformance, float64, error) {
	if l.Erlangs() <= 0 {
		return 0, ErlangAPerformance{}, 0, nil
	}
	eval := func(n int) (ErlangAPerformance, error) {
		if err := ctx.Err(); err != nil {
			return ErlangAPerformance{}, err
		}
		return ErlangA(l, n, t.AnswerWithin, patience), nil
	}
	// Find lo (not met, or 0) and hi (met).
	start := max(1, int(math.Ceil(l.Erlangs())))
	p, err := eval(start)
	if err != nil {
		return 0, ErlangAPerformance{}, 0, err
	}
	lo, hi, hiPerf := 0, 0, ErlangAPerformance{}
	if t.met(p.Performance) {
		hi, hiPerf = start, p
		for step := 1; ; step *= 2 {
			n := hi - step
			if n < 1 {
				break
			}
			q, err := eval(n)
			if err != nil {
				return 0, ErlangAPerformance{}, 0, err
			}
			if !t.met(q.Performance) {
				lo = n
				break
			}
			hi, hiPerf = n, q
		}
	} else {
		lo = start
		for step := 1; ; step *= 2 {
			n := lo + step
			if n > maxAgents {
				return 0, ErlangAPerformance{}, 0, ErrUnreachable
			}
			q, err := eval(n)
			if err != nil {
				return 0, ErlangAPerformance{}, 0, err
			}
			if t.met(q.Performance) {
				hi, hiPerf = n, q
				break
			}
			lo = n
		}
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		q, err := eval(mid)
		if err != nil {
			return 0, ErlangAPerformance{}, 0, err
		}
		if t.met(q.Performance) {
			hi, hiPerf = mid, q
		} else {
			lo = mid
		}
	}
	frac := float64(hi)
	if hi > 1 {
		prev, err := eval(hi - 1)
		if err != nil {
			return 0, ErlangAPerformance{}, 0, err
		}
		frac = float64(hi-1) + t.reach(prev.Performance, hiPerf.Performance, l.Erlangs(), hi)
	}
	return hi, hiPerf, frac, nil
}
