package router

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"switchboard/queues"
	"switchboard/validation"
	"switchboard/workforce"
)

// scheduleHorizon is how far ahead shifts are stored for enforcement; Run
// extends it as time passes.
const scheduleHorizon = 14 * 24 * time.Hour

// ScheduleView is an agent's schedule with its next days expanded.
type ScheduleView struct {
	Agent    string               `json:"agent"`
	Schedule workforce.Schedule   `json:"schedule"`
	OnShift  bool                 `json:"on_shift"`
	Next     []workforce.Interval `json:"next_7_days"`
}

// SaveSchedule validates and stores an agent's schedule; with
// routing.enforce_schedules the agent gets offers only on shift.
func (r *Planning) SaveSchedule(ctx context.Context, agent string, s workforce.Schedule) (ScheduleView, error) {
	a, err := r.agents.Agent(ctx, agent)
	if err != nil {
		return ScheduleView{}, err
	}
	if errs := s.Validate(a.TimeZone); len(errs) > 0 {
		return ScheduleView{}, errs
	}
	on, err := r.store.SetSchedules(ctx, r.clock.Now(), []queues.AgentShifts{r.shifts(agent, s)})
	if err != nil {
		return ScheduleView{}, err
	}
	return r.scheduleView(agent, s, on == 1), nil
}

// SaveSchedules validates many schedules, then stores them all in one step:
// a bad one rejects them all, named by agent and field.
func (r *Planning) SaveSchedules(ctx context.Context, schedules map[string]workforce.Schedule) (int, error) {
	var errs validation.Errors
	if len(schedules) == 0 || len(schedules) > maxImport {
		errs.Add("schedules", "give between 1 and %d schedules", maxImport)
	}
	ids := slices.Sorted(maps.Keys(schedules))
	var rows []queues.AgentShifts
	for _, id := range ids {
		s := schedules[id]
		a, err := r.store.GetAgent(ctx, id)
		if err != nil {
			errs.Add("schedules."+id, "no such agent")
			continue
		}
		var zone string
		if v, err := view(a); err == nil {
			zone = v.TimeZone
		}
		for _, e := range s.Validate(zone) {
			errs.Add("schedules."+id+"."+e.Field, "%s", e.Reason)
		}
		rows = append(rows, r.shifts(id, s))
	}
	if len(errs) > 0 {
		return 0, errs
	}
	_, err := r.store.SetSchedules(ctx, r.clock.Now(), rows)
	return len(rows), err
}

// shifts expands a schedule's working time over the stored horizon.
func (r *Planning) shifts(agent string, s workforce.Schedule) queues.AgentShifts {
	now := r.clock.Now()
	row := queues.AgentShifts{Agent: agent}
	for _, iv := range s.Expand(now.Add(-24*time.Hour), now.Add(scheduleHorizon)) {
		if iv.Activity == workforce.Work {
			row.Shifts = append(row.Shifts, queues.Shift{Start: iv.Start, End: iv.End})
		}
	}
	row.Schedule, _ = json.Marshal(s)
	return row
}

func (r *Planning) scheduleView(agent string, s workforce.Schedule, on bool) ScheduleView {
	now := r.clock.Now()
	next := s.Expand(now, now.Add(7*24*time.Hour))
	if next == nil {
		next = []workforce.Interval{}
	}
	return ScheduleView{Agent: agent, Schedule: s, OnShift: on, Next: next}
}

// Schedule returns an agent's schedule.
func (r *Planning) Schedule(ctx context.Context, agent string) (ScheduleView, error) {
	if _, err := r.store.GetAgent(ctx, agent); err != nil {
		return ScheduleView{}, err
	}
	s, err := r.loadSchedule(ctx, agent)
	if err != nil {
		return ScheduleView{}, err
	}
	if s == nil {
		return ScheduleView{}, &queues.Error{Code: "schedule_not_found", Detail: agent}
	}
	return r.scheduleView(agent, *s, s.ActivityAt(r.clock.Now()) == workforce.Work), nil
}

// AgentSchedule returns an agent's schedule, or nil when it has none.
func (r *Planning) AgentSchedule(ctx context.Context, agent string) (*workforce.Schedule, error) {
	return r.loadSchedule(ctx, agent)
}

func (r *Planning) loadSchedule(ctx context.Context, agent string) (*workforce.Schedule, error) {
	raw, err := r.store.Schedule(ctx, agent)
	if err != nil || raw == nil {
		return nil, err
	}
	var s workforce.Schedule
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode schedule of %s: %w", agent, err)
	}
	return &s, nil
}

// RefreshSchedules stores every agent's shifts again, so that the stored
// horizon moves with time (and a changed enforcement setting applies).
func (r *Planning) RefreshSchedules(ctx context.Context) error {
	agents, err := r.store.ListAgents(ctx)
	if err != nil {
		return err
	}
	var rows []queues.AgentShifts
	for _, a := range agents {
		s, err := r.loadSchedule(ctx, a.ID)
		if err != nil {
			return err
		}
		if s != nil {
			rows = append(rows, r.shifts(a.ID, *s))
		}
	}
	for i := 0; i < len(rows); i += 200 { // bounded work per script
		if _, err := r.store.SetSchedules(ctx, r.clock.Now(), rows[i:min(i+200, len(rows))]); err != nil {
			return err
		}
	}
	return nil
}

// OutOfAdherence counts the scheduled agents whose presence does not match
// their schedule now, from the agents' state alone (one read of all agents).
func (r *Planning) OutOfAdherence(ctx context.Context) (int, error) {
	agents, err := r.store.ListAgents(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range agents {
		if a.Scheduled && a.OnShift != working(a.Presence) {
			n++
		}
	}
	return n, nil
}

// AdherenceRow compares an agent's schedule with what the agent did today
// (since midnight in the agent's zone): scheduled to work and available (or
// in after-call work), or not scheduled and not available, is in adherence.
type AdherenceRow struct {
	Agent       string  `json:"agent"`
	Scheduled   string  `json:"scheduled"` // work, break or off, now
	Presence    string  `json:"presence"`
	InAdherence bool    `json:"in_adherence"`
	MinutesIn   float64 `json:"minutes_in_adherence"`
	MinutesOut  float64 `json:"minutes_out_of_adherence"`
}

func working(presence string) bool {
	return presence == queues.Available || presence == queues.AfterCall
}

// Adherence returns every scheduled agent's adherence, now and today.
func (r *Planning) Adherence(ctx context.Context) ([]AdherenceRow, error) {
	agents, err := r.store.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	now := r.clock.Now()
	out := []AdherenceRow{}
	for _, a := range agents {
		s, err := r.loadSchedule(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		if s == nil {
			continue
		}
		log, err := r.store.PresenceLog(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		loc, _ := time.LoadLocation(s.TimeZone)
		if loc == nil {
			loc = time.UTC
		}
		ln := now.In(loc)
		midnight := time.Date(ln.Year(), ln.Month(), ln.Day(), 0, 0, 0, 0, loc)
		row := AdherenceRow{Agent: a.ID, Presence: a.Presence, Scheduled: "off"}
		if act := s.ActivityAt(now); act != "" {
			row.Scheduled = act
		}
		row.InAdherence = (row.Scheduled == workforce.Work) == working(a.Presence)
		row.MinutesIn, row.MinutesOut = adherenceToday(s.Expand(midnight, now), log, midnight, now)
		out = append(out, row)
	}
	return out, nil
}

// adherenceToday splits [from, to) at every schedule and presence change and
// adds up the minutes in and out of adherence.
func adherenceToday(sched []workforce.Interval, log []queues.PresenceChange, from, to time.Time) (in, out float64) {
	cuts := []time.Time{from, to}
	for _, iv := range sched {
		cuts = append(cuts, iv.Start, iv.End)
	}
	for _, c := range log {
		if c.At.After(from) && c.At.Before(to) {
			cuts = append(cuts, c.At)
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Before(cuts[j]) })
	presenceAt := func(t time.Time) string {
		p := queues.Offline
		for _, c := range log {
			if c.At.After(t) {
				break
			}
			p = c.Presence
		}
		return p
	}
	scheduledWork := func(t time.Time) bool {
		for _, iv := range sched {
			if !t.Before(iv.Start) && t.Before(iv.End) {
				return iv.Activity == workforce.Work
			}
		}
		return false
	}
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		if !b.After(a) || a.Before(from) || b.After(to) {
			continue
		}
		mins := b.Sub(a).Minutes()
		if scheduledWork(a) == working(presenceAt(a)) {
			in += mins
		} else {
			out += mins
		}
	}
	return in, out
}
