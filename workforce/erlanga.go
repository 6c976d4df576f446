package workforce

import "math"

// Erlang A (M/M/n+M): Erlang C with customers who abandon after an
// exponential patience of mean Patience seconds. Computed from the
// birth-death chain itself: states k = 0, 1, ... contacts in the system,
// births λ, deaths kμ up to n and nμ + (k−n)θ above, with θ = 1/Patience.
// The stationary distribution is summed until its terms no longer matter.

// ErlangAPerformance is what n agents achieve against a load when customers
// have a mean patience (seconds).
type ErlangAPerformance struct {
	Performance
	// AverageWait is the mean wait of all contacts, answered or not.
	AverageWait float64 `json:"average_wait_seconds"`
}

const tailEpsilon = 1e-15

// ErlangA computes the performance of n agents; answerWithin is the service
// level's target answer time. ServiceLevel is the share of all contacts
// answered within it (abandoned contacts count as missed); ASA is the mean
// wait of the answered contacts.
func ErlangA(l Load, n int, answerWithin, patience float64) ErlangAPerformance {
	lambda, mu, theta := l.Contacts/l.Interval, 1/l.AHT, 1/patience
	// Unnormalised π_k, scaled as we go to avoid overflow.
	pi := []float64{1}
	for k := 1; ; k++ {
		death := float64(min(k, n)) * mu
		if k > n {
			death += float64(k-n) * theta
		}
		next := pi[k-1] * lambda / death
		pi = append(pi, next)
		if next > 1e250 {
			for i := range pi {
				pi[i] *= 1e-250
			}
		}
		if k > n && pi[k] < tailEpsilon*pi[n] && death > lambda {
			break
		}
	}
	var total float64
	for _, v := range pi {
		total += v
	}
	var wait, queue, busy, served, within, servedWait float64
	for k, v := range pi {
		p := v / total
		if k < n {
			busy += float64(k) * p
			continue
		}
		busy += float64(n) * p
		wait += p
		queue += float64(k-n) * p
	}
	// An arrival that finds j waiting ahead reaches an agent after j+1
	// stages of rates nμ + iθ (i = j … 0), unless its own patience runs
	// out first. Killing at rate θ makes the stages Exp(nμ + (i+1)θ), each
	// passed with probability (nμ + iθ)/(nμ + (i+1)θ).
	for k := n; k < len(pi); k++ {
		p := pi[k] / total
		if p < tailEpsilon {
			continue
		}
		j := k - n
		pass, rates := 1.0, make([]float64, j+1)
		for i := 0; i <= j; i++ {
			r := float64(n)*mu + float64(i)*theta
			pass *= r / (r + theta)
			rates[i] = r + theta
		}
		served += p * pass
		within += p * pass * hypoexpCDF(rates, answerWithin)
		servedWait += p * pass * hypoexpMean(rates)
	}
	notWaiting := 1 - wait
	perf := ErlangAPerformance{
		Performance: Performance{Agents: n, PWait: wait, Occupancy: busy / float64(n), Abandon: theta * queue / lambda},
		AverageWait: queue / lambda,
	}
	perf.ServiceLevel = notWaiting + within
	if answered := notWaiting + served; answered > 0 {
		perf.ASA = servedWait / answered
	}
	return perf
}

func hypoexpMean(rates []float64) float64 {
	m := 0.0
	for _, r := range rates {
		m += 1 / r
	}
	return m
}

// hypoexpCDF is P(Σ Exp(rates[i]) ≤ t), by uniformization: a Poisson number
// of jumps at the largest rate, each moving to the next stage with
// probability rate/Λ; stable where the closed form cancels badly.
func hypoexpCDF(rates []float64, t float64) float64 {
	if t <= 0 {
		return 0
	}
	big := 0.0
	for _, r := range rates {
		big = math.Max(big, r)
	}
	lt := big * t
	stage := make([]float64, len(rates)+1) // probability of being in each stage; last is done
	stage[0] = 1
	weight := math.Exp(-lt) // Poisson(0; Λt)
	if weight == 0 {
		return 1 - hypoexpTail(rates, t)
	}
	cdf := 0.0
	mass := 0.0
	for k := 0; ; k++ {
		cdf += weight * stage[len(rates)]
		mass += weight
		if 1-mass < tailEpsilon || k > 100000 {
			break
		}
		next := make([]float64, len(stage))
		next[len(rates)] = stage[len(rates)]
		for i, r := range rates {
			move := r / big
			next[i] += stage[i] * (1 - move)
			next[i+1] += stage[i] * move
		}
		stage = next
		weight *= lt / float64(k+1)
	}
	return cdf
}

// hypoexpTail handles Λt so large that e^{-Λt} underflows: the stages are
// then almost surely done, up to the mean's scale.
func hypoexpTail(rates []float64, t float64) float64 {
	if hypoexpMean(rates) < t/10 {
		return 0
	}
	return 1
}

// StaffErlangA finds the fewest agents that meet the target with
// abandonment. It searches from one agent up, not from the offered load:
// with impatient customers the minimum can be below the load.
func StaffErlangA(l Load, t Target, patience float64) (int, ErlangAPerformance, float64) {
	if l.Erlangs() <= 0 {
		return 0, ErlangAPerformance{}, 0
	}
	prev := ErlangAPerformance{Performance: Performance{ASA: math.Inf(1), Abandon: 1}}
	for n := 1; ; n++ {
		p := ErlangA(l, n, t.AnswerWithin, patience)
		if t.met(p.Performance) {
			frac := float64(n)
			if n > 1 {
				frac = float64(n-1) + t.reach(prev.Performance, p.Performance, l.Erlangs(), n)
			}
			return n, p, frac
		}
		prev = p
	}
}
