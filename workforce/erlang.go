package workforce

import (
	"context"
	"errors"
	"math"
)

// Erlang C (M/M/n): Poisson arrivals, exponential handle times, n agents, no
// abandonment. Times are in seconds.

// ErlangB is the blocking probability of n servers offered a Erlangs, by the
// stable recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)).
func ErlangB(n int, a float64) float64 {
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// ErlangC is the probability that a contact waits, with n agents and a
// Erlangs of load: C = n·B / (n − a·(1 − B)); 1 when n ≤ a (the queue grows
// without bound).
func ErlangC(n int, a float64) float64 {
	if float64(n) <= a {
		return 1
	}
	b := ErlangB(n, a)
	return float64(n) * b / (float64(n) - a*(1-b))
}

// Load is the work offered to a queue in one interval.
type Load struct {
	// Contacts expected in the interval, and its length in seconds.
	Contacts float64
	Interval float64
	// AHT is the average handle time (talk and wrap-up), in seconds.
	AHT float64
}

// Erlangs is the offered load: arrival rate × average handle time.
func (l Load) Erlangs() float64 { return l.Contacts / l.Interval * l.AHT }

// Performance is what n agents achieve against a load.
type Performance struct {
	Agents       int     `json:"agents"`
	PWait        float64 `json:"probability_of_waiting"`
	ServiceLevel float64 `json:"service_level"` // share answered within the target answer time
	ASA          float64 `json:"asa_seconds"`   // average speed of answer of the answered contacts
	Occupancy    float64 `json:"occupancy"`
	// Abandon is the share of contacts that abandon (Erlang A; 0 in Erlang C).
	Abandon float64 `json:"abandon_rate"`
}

// ErlangCPerformance is the performance of n agents; answerWithin is the
// service level's target answer time in seconds.
func ErlangCPerformance(l Load, n int, answerWithin float64) Performance {
	a := l.Erlangs()
	p := Performance{Agents: n, Occupancy: math.Min(a/float64(n), 1)}
	if float64(n) <= a {
		p.PWait, p.ServiceLevel, p.ASA = 1, 0, math.Inf(1)
		return p
	}
	p.PWait = ErlangC(n, a)
	p.ServiceLevel = 1 - p.PWait*math.Exp(-(float64(n)-a)*answerWithin/l.AHT)
	p.ASA = p.PWait * l.AHT / (float64(n) - a)
	return p
}

// Target is what staffing must achieve; zero fields are not targets.
type Target struct {
	ServiceLevel float64 // e.g. 0.8 ...
	AnswerWithin float64 // ... within this many seconds
	ASA          float64 // average speed of answer at most, seconds
	MaxOccupancy float64 // e.g. 0.85
	MaxAbandon   float64 // share abandoning at most (Erlang A only)
}

// Validate checks a target.
func (t Target) Validate() error {
	switch {
	case t.ServiceLevel < 0 || t.ServiceLevel >= 1:
		return errors.New("service_level must be a share below 1, such as 0.8")
	case t.ServiceLevel > 0 && t.AnswerWithin <= 0:
		return errors.New("answer_within must be positive with a service level")
	case t.ASA < 0:
		return errors.New("asa must not be negative")
	case t.MaxOccupancy != 0 && (t.MaxOccupancy < 0.1 || t.MaxOccupancy > 1):
		return errors.New("max_occupancy must be a share between 0.1 and 1")
	case t.MaxAbandon < 0 || t.MaxAbandon >= 1:
		return errors.New("max_abandon must be a share below 1")
	case t.ServiceLevel == 0 && t.ASA == 0 && t.MaxOccupancy == 0 && t.MaxAbandon == 0:
		return errors.New("give a service level, an ASA, a maximum occupancy or a maximum abandonment")
	}
	return nil
}

func (t Target) met(p Performance) bool {
	return (t.MaxAbandon == 0 || p.Abandon <= t.MaxAbandon) &&
		(t.ServiceLevel == 0 || p.ServiceLevel >= t.ServiceLevel) &&
		(t.ASA == 0 || p.ASA <= t.ASA) &&
		(t.MaxOccupancy == 0 || p.Occupancy <= t.MaxOccupancy)
}

// Requirement is the staffing of one interval.
type Requirement struct {
	// Agents is the smallest number that meets every target, with its performance.
	Agents      int         `json:"agents"`
	Performance Performance `json:"performance"`
	// Fractional is the requirement before rounding: between Agents-1 and
	// Agents, where the binding target is met exactly, interpolating linearly.
	// Sum it across queues or zones before rounding.
	Fractional float64 `json:"fractional_agents"`
}

// StaffErlangC finds the fewest agents that meet the target. The search
// starts at the first stable staffing (more agents than Erlangs) and walks
// up: every measure improves with each agent, so the first that meets all
// targets is the minimum. It stops when ctx ends.
func StaffErlangC(ctx context.Context, l Load, t Target) (Requirement, error) {
	a := l.Erlangs()
	if a <= 0 {
		return Requirement{}, nil
	}
	n := int(math.Floor(a)) + 1
	if t.MaxOccupancy > 0 {
		// Occupancy is a/n: fewer than a/max agents cannot meet it.
		n = max(n, int(math.Ceil(a/t.MaxOccupancy-1e-9)))
	}
	prev := ErlangCPerformance(l, n-1, t.AnswerWithin)
	for ; n <= maxAgents; n++ {
		if err := ctx.Err(); err != nil {
			return Requirement{}, err
		}
		p := ErlangCPerformance(l, n, t.AnswerWithin)
		if t.met(p) {
			return Requirement{Agents: n, Performance: p, Fractional: float64(n-1) + t.reach(prev, p, a, n)}, nil
		}
		prev = p
	}
	return Requirement{}, ErrUnreachable
}

// reach is how far between n-1 and n agents the binding target is met (0..1).
func (t Target) reach(prev, p Performance, a float64, n int) float64 {
	frac := 0.0
	share := func(from, to, want float64) float64 {
		if math.IsInf(from, 0) || to == from {
			return 1
		}
		return math.Min(math.Max((want-from)/(to-from), 0), 1)
	}
	if t.ServiceLevel > 0 {
		frac = math.Max(frac, share(prev.ServiceLevel, p.ServiceLevel, t.ServiceLevel))
	}
	if t.ASA > 0 {
		frac = math.Max(frac, share(prev.ASA, p.ASA, t.ASA))
	}
	if t.MaxAbandon > 0 {
		frac = math.Max(frac, share(prev.Abandon, p.Abandon, t.MaxAbandon))
	}
	if t.MaxOccupancy > 0 {
		// Occupancy a/x = max at x = a/max: exact, not interpolated.
		frac = math.Max(frac, math.Min(math.Max(a/t.MaxOccupancy-float64(n-1), 0), 1))
	}
	return frac
}
