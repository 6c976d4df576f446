package workforce

import (
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
	Agents      int         `json:"agents"`
	Fractional  float64     `json:"fractional_agents"`
	Performance Performance `json:"performance"`
	// Scheduled counts shrinkage: the fractional need, then rounded up.
	ScheduledFractional float64 `json:"scheduled_fractional"`
	Scheduled           int     `json:"scheduled_agents"`
}

// StaffingRow is the staffing of one queue in one interval.
type StaffingRow struct {
	StaffingInterval
	Erlangs float64  `json:"erlangs"`
	ErlangC *Staffed `json:"erlang_c"`
	ErlangA *Staffed `json:"erlang_a,omitempty"`
}

// StaffingTotal sums one interval over the queues before rounding: summing
// rounded per-queue numbers overstates the need.
type StaffingTotal struct {
	Start   time.Time `json:"start"`
	ErlangC Total     `json:"erlang_c"`
	ErlangA *Total    `json:"erlang_a,omitempty"`
}

// Total is a sum of fractional requirements, then rounded up.
type Total struct {
	Fractional          float64 `json:"fractional_agents"`
	Agents              int     `json:"agents"`
	ScheduledFractional float64 `json:"scheduled_fractional"`
	Scheduled           int     `json:"scheduled_agents"`
}

// StaffingResponse lists each interval's staffing and the totals per interval.
type StaffingResponse struct {
	Rows   []StaffingRow   `json:"intervals"`
	Totals []StaffingTotal `json:"totals"`
}

const maxIntervals = 20000

// Staff answers a staffing request; every invalid field is named.
func Staff(req StaffingRequest) (StaffingResponse, error) {
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
	if req.PatienceSeconds < 0 {
		errs.Add("patience_seconds", "must not be negative")
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
		if in.AHTSeconds <= 0 || in.AHTSeconds > 86400 {
			errs.Add(p+".aht_seconds", "must be between 0 and 86400 seconds")
		}
		if in.Start.IsZero() {
			errs.Add(p+".start", "is required (RFC 3339)")
		}
		if in.Contacts/float64(max(in.Minutes, 1))/60*in.AHTSeconds > 5000 {
			errs.Add(p+".contacts", "more than 5000 Erlangs in one queue: split the queue")
		}
	}
	if len(errs) > 0 {
		return StaffingResponse{}, errs
	}
	keep := 1 - req.Shrinkage
	staffed := func(n int, frac float64, p Performance) *Staffed {
		return &Staffed{Agents: n, Fractional: frac, Performance: p,
			ScheduledFractional: frac / keep, Scheduled: int(math.Ceil(frac/keep - 1e-9))}
	}
	var resp StaffingResponse
	totals := map[time.Time]*StaffingTotal{}
	for _, in := range req.Intervals {
		l := Load{Contacts: in.Contacts, Interval: float64(in.Minutes) * 60, AHT: in.AHTSeconds}
		row := StaffingRow{StaffingInterval: in, Erlangs: l.Erlangs()}
		tc := t
		tc.MaxAbandon = 0 // Erlang C has no abandonment
		r := StaffErlangC(l, tc)
		row.ErlangC = staffed(r.Agents, r.Fractional, r.Performance)
		if req.PatienceSeconds > 0 {
			n, p, frac := StaffErlangA(l, t, req.PatienceSeconds)
			row.ErlangA = staffed(n, frac, p.Performance)
		}
		resp.Rows = append(resp.Rows, row)
		tot := totals[in.Start]
		if tot == nil {
			tot = &StaffingTotal{Start: in.Start}
			if req.PatienceSeconds > 0 {
				tot.ErlangA = &Total{}
			}
			totals[in.Start] = tot
		}
		tot.ErlangC.Fractional += row.ErlangC.Fractional
		if row.ErlangA != nil {
			tot.ErlangA.Fractional += row.ErlangA.Fractional
		}
	}
	round := func(t *Total) {
		t.Agents = int(math.Ceil(t.Fractional - 1e-9))
		t.ScheduledFractional = t.Fractional / keep
		t.Scheduled = int(math.Ceil(t.ScheduledFractional - 1e-9))
	}
	for _, tot := range totals {
		round(&tot.ErlangC)
		if tot.ErlangA != nil {
			round(tot.ErlangA)
		}
		resp.Totals = append(resp.Totals, *tot)
	}
	sort.Slice(resp.Totals, func(i, j int) bool { return resp.Totals[i].Start.Before(resp.Totals[j].Start) })
	return resp, nil
}
