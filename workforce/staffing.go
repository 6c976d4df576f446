package workforce

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"switchboard/validation"
)

// StaffingRequest asks how many agents each queue needs in each interval.
type StaffingRequest struct {
	Target StaffingTarget `json:"target"`
	// Shrinkage is the share of paid time not spent on contacts (breaks,
	// training, absence): scheduled agents = required / (1 − shrinkage).
	Shrinkage float64 `json:"shrinkage"`
	// PatienceSeconds is the customers' mean patience; when given, Erlang A
	// is computed beside Erlang C.
	PatienceSeconds float64            `json:"patience_seconds"`
	Intervals       []StaffingInterval `json:"intervals"`
}

// StaffingTarget is the service to reach; keep the target answer time (of
// the service level) and the average speed of answer apart.
type StaffingTarget struct {
	ServiceLevel        float64 `json:"service_level"`         // e.g. 0.8 ...
	AnswerWithinSeconds float64 `json:"answer_within_seconds"` // ... within 20 s
	ASASeconds          float64 `json:"asa_seconds"`
	MaxOccupancy        float64 `json:"max_occupancy"`
	MaxAbandon          float64 `json:"max_abandon"` // Erlang A only
}

// StaffingInterval is one queue's forecast for one interval.
type StaffingInterval struct {
	Queue      string    `json:"queue"`
	Start      time.Time `json:"start"`
	Minutes    int       `json:"minutes"`
	Contacts   float64   `json:"contacts"`
	AHTSeconds float64   `json:"aht_seconds"`
}

// Staffed is the answer for one model (Erlang C or Erlang A).
type Staffed struct {
	Agents      int      `json:"agents"`
	Fractional  float64  `json:"fractional_agents"`
	Performance Measures `json:"performance"`
	// Scheduled is the planners' convention: the required agents divided
	// by (1 − shrinkage), rounded up; ScheduledFractional divides the
	// fractional need, for reference.
	ScheduledFractional float64 `json:"scheduled_fractional"`
	Scheduled           int     `json:"scheduled_agents"`
}

// Measures are what the staffing achieves, as planners read them.
type Measures struct {
	Agents int     `json:"agents"`
	PWait  float64 `json:"probability_of_waiting"`
	// ServiceLevel counts abandoned contacts as missed; ServiceLevelAnswered
	// is the share of the answered ones answered within the target.
	ServiceLevel         float64 `json:"service_level"`
	ServiceLevelAnswered float64 `json:"service_level_of_answered"`
	// ASA is the mean wait of answered contacts, AverageWait of all.
	ASA         float64 `json:"asa_seconds"`
	AverageWait float64 `json:"average_wait_seconds"`
	Occupancy   float64 `json:"occupancy"`
	Abandon     float64 `json:"abandon_rate"`
}

// StaffingRow is the staffing of one queue in one interval.
type StaffingRow struct {
	StaffingInterval
	Erlangs float64  `json:"erlangs"`
	ErlangC *Staffed `json:"erlang_c"`
	ErlangA *Staffed `json:"erlang_a,omitempty"`
}

// StaffingTotal is one interval over all queues. Separate queues do not
// pool their agents, so Agents and Scheduled add the queues' own
// requirements (never fewer than the queues need one by one); Fractional
// adds the fractional needs, for reference. What a pool of multi-skilled
// agents needs is for the simulation (GET /v1/coverage?method=simulation).
type StaffingTotal struct {
	Start   time.Time `json:"start"`
	ErlangC Total     `json:"erlang_c"`
	ErlangA *Total    `json:"erlang_a,omitempty"`
}

// Total adds the queues' requirements of one interval.
type Total struct {
	Fractional          float64 `json:"fractional_agents"`
	Agents              int     `json:"agents"`
	ScheduledFractional float64 `json:"scheduled_fractional"`
	Scheduled           int     `json:"scheduled_agents"`
}

func (t *Total) add(s *Staffed) {
	t.Fractional += s.Fractional
	t.Agents += s.Agents
	t.ScheduledFractional += s.ScheduledFractional
	t.Scheduled += s.Scheduled
}

// StaffingResponse lists each interval's staffing and the totals per interval.
type StaffingResponse struct {
	Rows   []StaffingRow   `json:"intervals"`
	Totals []StaffingTotal `json:"totals"`
}

// Limits that match what a request computes in time: a week of 15-minute
// intervals for 20 queues is 13,440.
const (
	maxIntervals = 20000
	maxErlangs   = 5000
	// maxPatience bounds the customers' mean patience (a day).
	maxPatience = 86400
	// maxQueue bounds λ × patience, about the longest queue Erlang A sums.
	maxQueue = 1000000
)

// Staff answers a staffing request; every invalid field is named. It stops
// with ctx's error when ctx ends.
func Staff(ctx context.Context, req StaffingRequest) (StaffingResponse, error) {
	var errs validation.Errors
	t := Target{ServiceLevel: req.Target.ServiceLevel, AnswerWithin: req.Target.AnswerWithinSeconds,
		ASA: req.Target.ASASeconds, MaxOccupancy: req.Target.MaxOccupancy, MaxAbandon: req.Target.MaxAbandon}
	if err := t.Validate(); err != nil {
		errs.Add("target", "%v", err)
	}
	if t.MaxAbandon > 0 && req.PatienceSeconds <= 0 {
		errs.Add("patience_seconds", "is required with max_abandon (abandonment needs Erlang A)")
	}
	if req.Shrinkage < 0 || req.Shrinkage >= 1 {
		errs.Add("shrinkage", "must be a share below 1, such as 0.3")
	}
	if req.PatienceSeconds < 0 || req.PatienceSeconds > maxPatience || math.IsNaN(req.PatienceSeconds) {
		errs.Add("patience_seconds", "must be between 0 (no Erlang A) and %d seconds", maxPatience)
	}
	if len(req.Intervals) == 0 || len(req.Intervals) > maxIntervals {
		errs.Add("intervals", "give between 1 and %d intervals", maxIntervals)
	}
	for i, in := range req.Intervals {
		p := fmt.Sprintf("intervals[%d]", i)
		if in.Queue == "" {
			errs.Add(p+".queue", "is required")
		}
		if in.Minutes <= 0 || in.Minutes > 1440 {
			errs.Add(p+".minutes", "must be between 1 and 1440")
		}
		if in.Contacts < 0 || math.IsNaN(in.Contacts) || in.Contacts > 1e6 {
			errs.Add(p+".contacts", "must be between 0 and 1000000")
		}
		if in.AHTSeconds <= 0 || in.AHTSeconds > 86400 || math.IsNaN(in.AHTSeconds) {
			errs.Add(p+".aht_seconds", "must be a number of seconds above 0, at most 86400")
		}
		if in.Start.IsZero() {
			errs.Add(p+".start", "is required (RFC 3339)")
		}
		rate := in.Contacts / float64(max(in.Minutes, 1)) / 60
		if rate*in.AHTSeconds > maxErlangs {
			errs.Add(p+".contacts", "more than %d Erlangs in one queue: split the queue", maxErlangs)
		} else if rate*req.PatienceSeconds > maxQueue {
			errs.Add(p+".contacts", "arrivals × patience_seconds over %d: the Erlang A queue is too long to sum; shorten the interval's load or the patience", maxQueue)
		}
	}
	if len(errs) > 0 {
		return StaffingResponse{}, errs
	}
	keep := 1 - req.Shrinkage
	staffed := func(n int, frac float64, m Measures) *Staffed {
		return &Staffed{Agents: n, Fractional: frac, Performance: m,
			ScheduledFractional: frac / keep, Scheduled: int(math.Ceil(float64(n)/keep - 1e-9))}
	}
	resp := StaffingResponse{Rows: make([]StaffingRow, len(req.Intervals))}
	for i, in := range req.Intervals {
		l := Load{Contacts: in.Contacts, Interval: float64(in.Minutes) * 60, AHT: in.AHTSeconds}
		row := StaffingRow{StaffingInterval: in, Erlangs: l.Erlangs()}
		tc := t
		tc.MaxAbandon = 0 // Erlang C has no abandonment
		r, err := StaffErlangC(ctx, l, tc)
		if err != nil {
			return StaffingResponse{}, staffErr(i, "erlang C", err)
		}
		row.ErlangC = staffed(r.Agents, r.Fractional, measuresC(r.Performance))
		if req.PatienceSeconds > 0 {
			n, p, frac, err := StaffErlangA(ctx, l, t, req.PatienceSeconds)
			if err != nil {
				return StaffingResponse{}, staffErr(i, "erlang A", err)
			}
			row.ErlangA = staffed(n, frac, Measures{Agents: p.Agents, PWait: p.PWait, ServiceLevel: p.ServiceLevel,
				ServiceLevelAnswered: p.ServiceLevelAnswered, ASA: p.ASA, AverageWait: p.AverageWait,
				Occupancy: p.Occupancy, Abandon: p.Abandon})
		}
		resp.Rows[i] = row
	}
	totals := map[time.Time]*StaffingTotal{}
	for _, row := range resp.Rows {
		tot := totals[row.Start]
		if tot == nil {
			tot = &StaffingTotal{Start: row.Start}
			if req.PatienceSeconds > 0 {
				tot.ErlangA = &Total{}
			}
			totals[row.Start] = tot
		}
		tot.ErlangC.add(row.ErlangC)
		if row.ErlangA != nil {
			tot.ErlangA.add(row.ErlangA)
		}
	}
	for _, tot := range totals {
		resp.Totals = append(resp.Totals, *tot)
	}
	sort.Slice(resp.Totals, func(i, j int) bool { return resp.Totals[i].Start.Before(resp.Totals[j].Start) })
	return resp, nil
}

// staffErr names the interval a search gave up on; a context's end passes
// through as it is.
func staffErr(i int, model string, err error) error {
	if errors.Is(err, ErrUnreachable) {
		return validation.Errors{{Field: fmt.Sprintf("intervals[%d]", i), Reason: model + ": " + err.Error()}}
	}
	return err
}

// measuresC reads Erlang C's performance as planners' measures: nobody
// abandons, so every contact is answered.
func measuresC(p Performance) Measures {
	return Measures{Agents: p.Agents, PWait: p.PWait, ServiceLevel: p.ServiceLevel, ServiceLevelAnswered: p.ServiceLevel,
		ASA: p.ASA, AverageWait: p.ASA, Occupancy: p.Occupancy}
}
