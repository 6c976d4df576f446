// Package sim runs what-if simulations on the real routing engine: the same
// Lua scripts, in a workspace of their own, on a virtual clock. Contacts
// arrive as Poisson processes from a forecast, take handle times from a
// distribution and abandon after an exponential patience; simulated agents
// accept every offer at once and complete after the handle time. It shows
// what the Erlang formulas cannot: several skills and languages, priorities,
// escalation, schedules.
package sim

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/validation"
	"switchboard/workforce"
)

// Scenario is what to simulate.
type Scenario struct {
	Start time.Time `json:"start"`
	// Minutes is the length of each reporting interval.
	Minutes int `json:"interval_minutes"`
	// Demand: contacts per interval per queue and channel.
	Demand []Demand `json:"demand"`
	// Agents with their skills (and optional schedules).
	Agents []SimAgent `json:"agents"`
	// HandleTime is "exponential" (default) or "lognormal" (with HandleCV).
	HandleTime string  `json:"handle_time"`
	HandleCV   float64 `json:"handle_cv"`
	// PatienceSeconds is the mean exponential patience; 0: nobody abandons.
	PatienceSeconds float64 `json:"patience_seconds"`
	// AnswerWithinSeconds is the service level's target answer time.
	AnswerWithinSeconds float64 `json:"answer_within_seconds"`
	// WrapUpSeconds replaces the channels' wrap-up (nil: the configuration's).
	WrapUpSeconds *float64 `json:"wrap_up_seconds"`
	Seed          uint64   `json:"seed"`
	// Replications runs the scenario this many times side by side, with
	// seeds Seed, Seed+1, …, and reports 95 % confidence intervals of each
	// queue's figures and of the occupancy (default 1; at most 10). The
	// detailed rows are the first replication's.
	Replications int `json:"replications"`
	// Progress, when set, hears how far the run is (0..1 of its simulated time).
	Progress func(float64) `json:"-"`
}

// Interval is a mean with the half-width of its 95 % confidence interval
// (Student's t over the replications).
type Interval struct {
	Mean     float64 `json:"mean"`
	HalfWide float64 `json:"half_width"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
}

// QueueConfidence is one queue's figures over the replications.
type QueueConfidence struct {
	Queue        string   `json:"queue"`
	ServiceLevel Interval `json:"service_level"`
	ASASeconds   Interval `json:"asa_seconds"`
	AbandonRate  Interval `json:"abandon_rate"`
}

// Demand is one stream of contacts.
type Demand struct {
	Queue      string    `json:"queue"`
	Channel    string    `json:"channel"`
	Priority   int       `json:"priority"`
	AHTSeconds float64   `json:"aht_seconds"`
	Contacts   []float64 `json:"contacts"` // per interval, from Start
}

// SimAgent is a simulated agent.
type SimAgent struct {
	workforce.Agent
	Schedule *workforce.Schedule `json:"schedule,omitempty"`
}

// Row is the outcome of one queue in one interval (contacts that arrived in it).
type Row struct {
	Queue          string    `json:"queue"`
	Start          time.Time `json:"start"`
	Offered        int       `json:"offered"`
	Answered       int       `json:"answered"`
	AnsweredWithin int       `json:"answered_within_target"`
	Abandoned      int       `json:"abandoned"`
	// ServiceLevel counts abandoned contacts as missed: answered within the
	// target / offered.
	ServiceLevel float64 `json:"service_level"`
	ASASeconds   float64 `json:"asa_seconds"`
	AbandonRate  float64 `json:"abandon_rate"`
}

// Effective is the agents a queue had in one interval.
type Effective struct {
	Queue  string    `json:"queue"`
	Start  time.Time `json:"start"`
	Agents float64   `json:"agents"`
}

// IntervalOccupancy is the agents' occupancy in one interval.
type IntervalOccupancy struct {
	Start     time.Time `json:"start"`
	Occupancy float64   `json:"occupancy"`
}

// Report is a simulation's outcome.
type Report struct {
	Rows   []Row `json:"intervals"`
	Totals []Row `json:"totals"` // per queue, over the whole run
	// Occupancy is the agents' busy share of their time on duty (their
	// scheduled work, or the whole run without a schedule), overall and per
	// interval.
	Occupancy  float64             `json:"occupancy"`
	ByInterval []IntervalOccupancy `json:"occupancy_by_interval"`
	// Effective is, per queue and interval, the agents the queue really had:
	// each agent's time on duty split among queues by the share of its busy
	// time it spent on each (evenly among its queues when it was idle).
	Effective []Effective `json:"effective_agents"`
	Contacts  int         `json:"contacts"`
	// Replications, Confidence and OccupancyCI summarise the runs when the
	// scenario asked for more than one.
	Replications int               `json:"replications"`
	Confidence   []QueueConfidence `json:"confidence,omitempty"`
	OccupancyCI  *Interval         `json:"occupancy_interval,omitempty"`
	// Wall is how long the simulation took, and ContactsPerSecond its speed.
	Wall              time.Duration `json:"wall_ns"`
	ContactsPerSecond float64       `json:"contacts_per_second"`
}

type event struct {
	at   time.Time
	kind int // arrival, complete, abandon
	idx  int // demand index for arrivals; contact index otherwise
	seq  int
}

const (
	arrival = iota
	complete
	abandon
)

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

type contact struct {
	demand    int
	arrived   time.Time
	taskID    string
	answered  bool
	wait      time.Duration
	abandoned bool
	handle    time.Duration
	agent     string
}

// Run simulates the scenario against Redis in a workspace of its own, which
// it removes afterwards; with Replications, that many runs side by side.
func Run(ctx context.Context, rdb redis.UniversalClient, base *config.Config, sc Scenario) (Report, error) {
	if err := sc.validate(base); err != nil {
		return Report{}, err
	}
	r := max(sc.Replications, 1)
	if r == 1 {
		rep, err := runOnce(ctx, rdb, base, sc)
		rep.Replications = 1
		return rep, err
	}
	started := time.Now()
	reps := make([]Report, r)
	errs := make([]error, r)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := make([]float64, r)
	for i := range r {
		one := sc
		one.Seed = sc.Seed + uint64(i)
		// Saving an agent normalises its profile in place: each run gets
		// its own copy of the agents.
		raw, err := json.Marshal(sc.Agents)
		if err != nil {
			return Report{}, err
		}
		one.Agents = nil
		if err := json.Unmarshal(raw, &one.Agents); err != nil {
			return Report{}, err
		}
		if sc.Progress != nil {
			one.Progress = func(p float64) {
				mu.Lock()
				done[i] = p
				sum := 0.0
				for _, d := range done {
					sum += d
				}
				mu.Unlock()
				sc.Progress(sum / float64(r))
			}
		}
		wg.Go(func() { reps[i], errs[i] = runOnce(ctx, rdb, base, one) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Report{}, err
		}
	}
	out := reps[0]
	out.Replications = r
	out.Contacts = 0
	occ := make([]float64, r)
	byQueue := map[string][][3]float64{}
	for i, rep := range reps {
		out.Contacts += rep.Contacts
		occ[i] = rep.Occupancy
		for _, t := range rep.Totals {
			byQueue[t.Queue] = append(byQueue[t.Queue], [3]float64{t.ServiceLevel, t.ASASeconds, t.AbandonRate})
		}
	}
	o := interval(occ)
	out.OccupancyCI = &o
	for _, t := range reps[0].Totals {
		v := byQueue[t.Queue]
		col := func(j int) []float64 {
			xs := make([]float64, len(v))
			for i := range v {
				xs[i] = v[i][j]
			}
			return xs
		}
		out.Confidence = append(out.Confidence, QueueConfidence{Queue: t.Queue, ServiceLevel: interval(col(0)),
			ASASeconds: interval(col(1)), AbandonRate: interval(col(2))})
	}
	out.Wall = time.Since(started)
	out.ContactsPerSecond = float64(out.Contacts) / out.Wall.Seconds()
	return out, nil
}

// tQuantile is Student's t at 97.5 % for 1 … 9 degrees of freedom.
var tQuantile = []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262}

// interval is the mean of xs with its 95 % confidence interval.
func interval(xs []float64) Interval {
	n := float64(len(xs))
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / n
	if len(xs) < 2 {
		return Interval{Mean: mean, Low: mean, High: mean}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	hw := tQuantile[min(len(xs)-2, len(tQuantile)-1)] * math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	return Interval{Mean: mean, HalfWide: hw, Low: mean - hw, High: mean + hw}
}

// runOnce is one replication.
func runOnce(ctx context.Context, rdb redis.UniversalClient, base *config.Config, sc Scenario) (Report, error) {
	started := time.Now()
	cfg := *base
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	cfg.Workspace = "sim-" + hex.EncodeToString(b)
	cfg.Routing.EnforceSchedules = true
	if sc.WrapUpSeconds != nil {
		chans := map[string]config.Channel{}
		for k, ch := range cfg.Channels {
			ch.WrapUp = time.Duration(*sc.WrapUpSeconds * float64(time.Second))
			chans[k] = ch
		}
		cfg.Channels = chans
	}
	// Escalation and SLA timers run as in production. A simulated agent
	// answers automatically, so offers never time out and each transition's
	// reply says what it assigned and when the next timer is due: the run
	// reads nothing else back; and nobody reads its outputs (events,
	// desktop streams, counters), so they are not written.
	settings := router.SettingsFrom(&cfg)
	settings.ReportNextTimer = true
	settings.Unobserved = true
	settings.Retention, settings.Archived = 0, false // the workspace goes with the run
	store := queues.New(rdb, cfg.Workspace, settings)
	defer func() { _ = store.DropWorkspace(context.WithoutCancel(ctx)) }()
	clk := clock.NewManual(sc.Start)
	rt := router.New(&cfg, store, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))

	// Channels nobody contacts the center on in this run: the agents take
	// none (their availability is then kept for the channels that matter).
	used := map[string]bool{}
	for _, dm := range sc.Demand {
		used[dm.Channel] = true
	}
	for _, a := range sc.Agents {
		ag := a.Agent
		ag.AutoAnswer = true
		caps := maps.Clone(ag.Capacity)
		if caps == nil {
			caps = map[string]int{}
		}
		for _, ch := range cfg.ChannelNames() {
			if !used[ch] {
				caps[ch] = 0
			}
		}
		ag.Capacity = caps
		if _, _, err := rt.Agents.SaveAgent(ctx, ag); err != nil {
			return Report{}, fmt.Errorf("agent %s: %w", a.ID, err)
		}
		if a.Schedule != nil {
			if _, err := rt.Planning.SaveSchedule(ctx, a.ID, *a.Schedule); err != nil {
				return Report{}, fmt.Errorf("schedule of %s: %w", a.ID, err)
			}
		}
		if err := rt.Agents.SetPresence(ctx, a.ID, router.Presence{Presence: queues.Available}); err != nil {
			return Report{}, err
		}
	}

	rng := mrand.New(mrand.NewPCG(sc.Seed, sc.Seed^0x9e3779b97f4a7c15))
	size := time.Duration(sc.Minutes) * time.Minute
	end := sc.Start
	var q events
	seq := 0
	push := func(e event) { seq++; e.seq = seq; heap.Push(&q, e) }
	// Poisson arrivals, interval by interval.
	for d, dm := range sc.Demand {
		for i, n := range dm.Contacts {
			from := sc.Start.Add(time.Duration(i) * size)
			to := from.Add(size)
			end = maxTime(end, to)
			if n <= 0 {
				continue
			}
			rate := n / size.Seconds()
			for t := from.Add(expo(rng, 1/rate)); t.Before(to); t = t.Add(expo(rng, 1/rate)) {
				push(event{at: t, kind: arrival, idx: d})
			}
		}
	}
	var contacts []*contact
	byTask := map[string]int{}
	busy := map[string]time.Time{}
	var spans []span // busy spans, for occupancy
	// Contacts arrived and neither answered nor abandoned, and their handle
	// times shortest first (entries of contacts no longer waiting are
	// dropped when they reach the top): the batches need the shortest.
	waiting := map[int]bool{}
	var handles byHandle
	// assigned takes what a transition assigned at now: each contact
	// answered schedules its completion.
	assigned := func(now time.Time, made []queues.Offer) error {
		for _, o := range made {
			ci, ok := byTask[o.Task]
			if !ok {
				continue
			}
			if !o.Assigned {
				if _, err := rt.Tasks.Accept(ctx, o.ID, ""); err != nil {
					return fmt.Errorf("accept %s: %w", o.ID, err)
				}
			}
			c := contacts[ci]
			delete(waiting, ci)
			c.answered, c.wait, c.agent = true, now.Sub(c.arrived), o.Agent
			busy[c.taskID] = now
			push(event{at: now.Add(c.handle), kind: complete, idx: ci})
		}
		return nil
	}
	nextTimer, err := store.Figures().NextTimer(ctx)
	if err != nil {
		return Report{}, err
	}
	fire := func(until time.Time) error {
		for !nextTimer.IsZero() && !nextTimer.After(until) {
			at := nextTimer
			clk.Set(at)
			f, err := rt.Tasks.FireDue(ctx)
			if err != nil {
				return err
			}
			if err := assigned(at, f.Made); err != nil {
				return err
			}
			nextTimer = f.Next
		}
		return nil
	}
	// Events go to the engine in batches, one round trip each: a batch ends
	// before the first event that an earlier one's outcome could precede
	// (a timer it sets, the completion of a contact it assigns), so the
	// engine sees the same transitions at the same times as one by one.
	type item struct {
		e       event
		created queues.Created
		done    queues.Completion
		routed  queues.Routed
		err     error
	}
	wrapUp := map[string]time.Duration{}
	for _, dm := range sc.Demand {
		wrapUp[dm.Channel] = cfg.Channels[dm.Channel].WrapUp
	}
	steps := 0
	for {
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		if q.Len() == 0 {
			// No contact event left: engine timers until the end (a shift that
			// starts later) may still make offers, and so new events.
			if nextTimer.IsZero() || nextTimer.After(end) {
				break
			}
			if err := fire(nextTimer); err != nil {
				return Report{}, err
			}
			continue
		}
		first := q[0].at
		if err := fire(first); err != nil {
			return Report{}, err
		}
		// A contact assigned in this batch completes its handle time after
		// the batch's first event at the soonest.
		for handles.Len() > 0 && !waiting[handles[0].ci] {
			heap.Pop(&handles)
		}
		minHandle := time.Duration(math.MaxInt64)
		if handles.Len() > 0 {
			minHandle = handles[0].d
		}
		limit := nextTimer
		earlier := func(t time.Time) {
			if limit.IsZero() || t.Before(limit) {
				limit = t
			}
		}
		pipe := store.Pipeline()
		var batch []*item
		for q.Len() > 0 {
			e := q[0]
			if len(batch) > 0 && (!limit.IsZero() && !e.at.Before(limit) || e.at.Sub(first) >= minHandle) {
				break
			}
			heap.Pop(&q)
			if steps++; sc.Progress != nil && steps%500 == 0 && end.After(sc.Start) {
				sc.Progress(float64(e.at.Sub(sc.Start)) / float64(end.Sub(sc.Start)))
			}
			clk.Set(e.at)
			it := &item{e: e}
			switch e.kind {
			case arrival:
				dm := sc.Demand[e.idx]
				c := &contact{demand: e.idx, arrived: e.at, handle: sc.handle(rng, dm.AHTSeconds)}
				nt, err := rt.Tasks.Prepare(router.TaskRequest{Channel: dm.Channel, Queue: dm.Queue, Priority: dm.Priority})
				if err != nil {
					return Report{}, err
				}
				c.taskID = nt.ID
				contacts = append(contacts, c)
				ci := len(contacts) - 1
				byTask[nt.ID] = ci
				waiting[ci] = true
				heap.Push(&handles, handleOf{c.handle, ci})
				minHandle = min(minHandle, c.handle)
				if sc.PatienceSeconds > 0 {
					push(event{at: e.at.Add(expo(rng, sc.PatienceSeconds)), kind: abandon, idx: ci})
				}
				// The timers the contact sets: its SLA clock, its escalation steps.
				if !nt.FirstWarnAt.IsZero() {
					earlier(nt.FirstWarnAt)
				}
				earlier(nt.DueAt)
				for _, st := range nt.Escalation {
					if st.AfterMS > 0 {
						earlier(e.at.Add(time.Duration(st.AfterMS) * time.Millisecond))
					}
				}
				pipe.CreateTask(e.at, nt, &it.created, &it.err)
			case complete:
				c := contacts[e.idx]
				// The agent is busy through the wrap-up too (staffing counts it
				// in the handle time).
				dm := sc.Demand[c.demand]
				spans = append(spans, span{from: busy[c.taskID], to: e.at.Add(wrapUp[dm.Channel]), agent: c.agent, queue: dm.Queue})
				if w := wrapUp[dm.Channel]; w > 0 {
					earlier(e.at.Add(w)) // the wrap-up's end
				}
				pipe.CompleteTask(e.at, c.taskID, "", "simulated", &it.done, &it.err)
			case abandon:
				c := contacts[e.idx]
				if c.answered {
					continue
				}
				// Answered earlier in this batch, the engine refuses it.
				pipe.CancelWaiting(e.at, c.taskID, "abandoned", &it.routed, &it.err)
			}
			batch = append(batch, it)
		}
		if err := pipe.Exec(ctx); err != nil {
			return Report{}, err
		}
		for _, it := range batch {
			var routed queues.Routed
			switch it.e.kind {
			case arrival:
				if it.err != nil {
					return Report{}, it.err
				}
				routed = it.created.Routed
			case complete:
				if it.err != nil {
					return Report{}, it.err
				}
				routed = it.done.Routed
			case abandon:
				if it.err != nil {
					continue // answered meanwhile: the agent has it
				}
				contacts[it.e.idx].abandoned = true
				delete(waiting, it.e.idx)
				routed = it.routed
			}
			if err := assigned(it.e.at, routed.Made); err != nil {
				return Report{}, err
			}
			nextTimer = routed.NextTimer
		}
	}
	rep := sc.report(contacts, end)
	sc.occupancy(&rep, spans, end, &cfg)
	rep.Wall = time.Since(started)
	rep.ContactsPerSecond = float64(len(contacts)) / rep.Wall.Seconds()
	return rep, nil
}

// byHandle is a heap of waiting contacts by handle time.
type byHandle []handleOf

type handleOf struct {
	d  time.Duration
	ci int
}

func (h byHandle) Len() int           { return len(h) }
func (h byHandle) Less(i, j int) bool { return h[i].d < h[j].d }
func (h byHandle) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *byHandle) Push(x any)        { *h = append(*h, x.(handleOf)) }
func (h *byHandle) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (sc Scenario) report(contacts []*contact, end time.Time) Report {
	size := time.Duration(sc.Minutes) * time.Minute
	type key struct {
		q string
		i int
	}
	rows := map[key]*Row{}
	totals := map[string]*Row{}
	waits := map[*Row]time.Duration{}
	add := func(r *Row, c *contact) {
		r.Offered++
		switch {
		case c.answered:
			r.Answered++
			waits[r] += c.wait
			if c.wait.Seconds() <= sc.AnswerWithinSeconds {
				r.AnsweredWithin++
			}
		case c.abandoned:
			r.Abandoned++
		}
	}
	for _, c := range contacts {
		dm := sc.Demand[c.demand]
		i := int(c.arrived.Sub(sc.Start) / size)
		k := key{dm.Queue, i}
		if rows[k] == nil {
			rows[k] = &Row{Queue: dm.Queue, Start: sc.Start.Add(time.Duration(i) * size)}
		}
		if totals[dm.Queue] == nil {
			totals[dm.Queue] = &Row{Queue: dm.Queue, Start: sc.Start}
		}
		add(rows[k], c)
		add(totals[dm.Queue], c)
	}
	finish := func(r *Row) Row {
		if r.Offered > 0 {
			r.ServiceLevel = float64(r.AnsweredWithin) / float64(r.Offered)
			r.AbandonRate = float64(r.Abandoned) / float64(r.Offered)
		}
		if r.Answered > 0 {
			r.ASASeconds = waits[r].Seconds() / float64(r.Answered)
		}
		return *r
	}
	rep := Report{Contacts: len(contacts)}
	for _, r := range rows {
		rep.Rows = append(rep.Rows, finish(r))
	}
	for _, r := range totals {
		rep.Totals = append(rep.Totals, finish(r))
	}
	slices.SortFunc(rep.Rows, func(a, b Row) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmpString(a.Queue, b.Queue)
	})
	slices.SortFunc(rep.Totals, func(a, b Row) int { return cmpString(a.Queue, b.Queue) })
	return rep
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (sc Scenario) validate(cfg *config.Config) error {
	var errs validation.Errors
	if sc.Minutes != 15 && sc.Minutes != 30 && sc.Minutes != 60 {
		errs.Add("interval_minutes", "must be 15, 30 or 60")
	}
	if len(sc.Demand) == 0 {
		errs.Add("demand", "at least one stream is required")
	}
	if len(sc.Agents) == 0 {
		errs.Add("agents", "at least one agent is required")
	}
	if sc.Replications < 0 || sc.Replications > 10 {
		errs.Add("replications", "must be between 1 and 10 (0: one)")
	}
	if sc.HandleTime != "" && sc.HandleTime != "exponential" && sc.HandleTime != "lognormal" {
		errs.Add("handle_time", "must be exponential or lognormal")
	}
	if sc.HandleTime == "lognormal" && sc.HandleCV <= 0 {
		errs.Add("handle_cv", "must be positive for a lognormal handle time")
	}
	if sc.PatienceSeconds < 0 {
		errs.Add("patience_seconds", "must not be negative")
	}
	if sc.AnswerWithinSeconds < 0 {
		errs.Add("answer_within_seconds", "must not be negative")
	}
	if sc.Start.IsZero() {
		errs.Add("start", "is required")
	}
	for i, d := range sc.Demand {
		p := fmt.Sprintf("demand[%d]", i)
		if _, ok := cfg.Queue(d.Queue); !ok {
			errs.Add(p+".queue", "unknown queue %q", d.Queue)
		}
		if _, ok := cfg.Channels[d.Channel]; !ok {
			errs.Add(p+".channel", "unknown channel %q", d.Channel)
		}
		if d.AHTSeconds <= 0 {
			errs.Add(p+".aht_seconds", "must be positive")
		}
		for j, n := range d.Contacts {
			if n < 0 || math.IsNaN(n) {
				errs.Add(fmt.Sprintf("%s.contacts[%d]", p, j), "must not be negative")
			}
		}
	}
	for i, a := range sc.Agents {
		if errs2 := a.Agent.Normalize(cfg); len(errs2) > 0 {
			for _, e := range errs2 {
				errs.Add(fmt.Sprintf("agents[%d].%s", i, e.Field), "%s", e.Reason)
			}
		}
	}
	return errs.Err()
}

func (sc Scenario) handle(rng *mrand.Rand, mean float64) time.Duration {
	if sc.HandleTime == "lognormal" {
		s2 := math.Log(1 + sc.HandleCV*sc.HandleCV)
		mu := math.Log(mean) - s2/2
		return time.Duration(math.Exp(mu+math.Sqrt(s2)*rng.NormFloat64()) * float64(time.Second))
	}
	return expo(rng, mean)
}

func expo(rng *mrand.Rand, mean float64) time.Duration {
	return time.Duration(rng.ExpFloat64() * mean * float64(time.Second))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

type span struct {
	from, to     time.Time
	agent, queue string
}

// occupancy splits busy spans and agents' time on duty by interval, overall
// and per queue (effective agents).
func (sc Scenario) occupancy(rep *Report, spans []span, end time.Time, cfg *config.Config) {
	size := time.Duration(sc.Minutes) * time.Minute
	n := int(end.Sub(sc.Start) / size)
	if n <= 0 {
		return
	}
	overlap := func(a, b, from, to time.Time) float64 {
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if !b.After(a) {
			return 0
		}
		return b.Sub(a).Seconds()
	}
	demanded := map[string]bool{}
	for _, d := range sc.Demand {
		demanded[d.Queue] = true
	}
	type agentInterval struct {
		agent string
		i     int
	}
	busyBy := map[agentInterval]map[string]float64{}
	busy, duty := make([]float64, n), make([]float64, n)
	for _, sp := range spans {
		for i := max(0, int(sp.from.Sub(sc.Start)/size)); i < n; i++ {
			from := sc.Start.Add(time.Duration(i) * size)
			if !from.Before(sp.to) {
				break
			}
			o := overlap(sp.from, sp.to, from, from.Add(size))
			busy[i] += o
			k := agentInterval{sp.agent, i}
			if busyBy[k] == nil {
				busyBy[k] = map[string]float64{}
			}
			busyBy[k][sp.queue] += o
		}
	}
	effective := map[string][]float64{}
	for q := range demanded {
		effective[q] = make([]float64, n)
	}
	for _, a := range sc.Agents {
		var served []string
		for _, e := range a.Eligible(cfg) {
			if !e.Below && demanded[e.Queue] {
				served = append(served, e.Queue)
			}
		}
		for i := range n {
			from := sc.Start.Add(time.Duration(i) * size)
			on := size.Seconds()
			if a.Schedule != nil {
				s := *a.Schedule
				if s.TimeZone == "" {
					s.TimeZone = a.TimeZone
				}
				on = 0
				for _, iv := range s.Expand(from, from.Add(size)) {
					if iv.Activity == workforce.Work {
						on += iv.End.Sub(iv.Start).Seconds()
					}
				}
			}
			duty[i] += on
			if on == 0 || len(served) == 0 {
				continue
			}
			share := busyBy[agentInterval{a.ID, i}]
			total := 0.0
			for _, v := range share {
				total += v
			}
			for _, q := range served {
				w := 1 / float64(len(served))
				if total > 0 {
					w = share[q] / total
				}
				effective[q][i] += w * on / size.Seconds()
			}
		}
	}
	var b, d float64
	for i := range n {
		b, d = b+busy[i], d+duty[i]
		io := IntervalOccupancy{Start: sc.Start.Add(time.Duration(i) * size)}
		if duty[i] > 0 {
			io.Occupancy = busy[i] / duty[i]
		}
		rep.ByInterval = append(rep.ByInterval, io)
	}
	if d > 0 {
		rep.Occupancy = b / d
	}
	for q, per := range effective {
		for i, v := range per {
			rep.Effective = append(rep.Effective, Effective{Queue: q, Start: sc.Start.Add(time.Duration(i) * size), Agents: v})
		}
	}
	slices.SortFunc(rep.Effective, func(a, b Effective) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmpString(a.Queue, b.Queue)
	})
}
