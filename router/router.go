// Package router is Switchboard's application layer: it turns requests into
// validated transitions (with the configuration's timeouts and targets) and
// runs the loop that fires due timers. App holds one part per
// responsibility: Router (tasks, offers and timers), Agents, Contacts
// (contacts from providers, customers and conversations), Planning
// (schedules, adherence, forecasts, coverage) and Reporting.
package router

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/config"
	"switchboard/queues"
	"switchboard/telephony"
	"switchboard/validation"
	"switchboard/workforce"
)

// Router routes tasks and runs their lifecycle: creation, offers,
// acceptance, completion, transfer and cancellation, and the timers.
type Router struct {
	*base
	store taskStore
}

// SettingsFrom derives the store settings from the configuration.
func SettingsFrom(cfg *config.Config) queues.Settings {
	return queues.Settings{
		MaxMissedOffers:   cfg.Routing.MaxMissedOffers,
		ReofferDelay:      cfg.Routing.ReofferDelay,
		AgentStreamLength: cfg.Routing.AgentStreamLength,
		EventsLength:      cfg.Routing.EventsLength,
		TimelineInOffer:   cfg.Customers.TimelineInOffer,
		Connect:           cfg.Twilio.Enabled(),
		Retention:         cfg.Retention.Finished,
	}
}

// Now is the router's current time.
func (r *Router) Now() time.Time { return r.clock.Now() }

// Agents ---------------------------------------------------------------------

// AgentView is an agent's profile with its live state.
type AgentView struct {
	workforce.Agent
	State queues.AgentState `json:"state"`
}

// SaveAgent validates and stores an agent profile. Its eligible queues are
// recomputed and applied atomically, so the next decision uses them.
func (r *Agents) SaveAgent(ctx context.Context, a workforce.Agent) (AgentView, bool, error) {
	if errs := a.Normalize(r.cfg); len(errs) > 0 {
		return AgentView{}, false, errs
	}
	profile, err := json.Marshal(a)
	if err != nil {
		return AgentView{}, false, fmt.Errorf("encode agent %s: %w", a.ID, err)
	}
	created, _, err := r.store.UpsertAgent(ctx, r.clock.Now(), queues.AgentSpec{
		ID: a.ID, Profile: profile, Queues: eligibility(a, r.cfg), Capacity: a.Capacity, VoiceBlocks: a.VoiceBlocks,
		AutoAnswer: a.AutoAnswer,
	})
	if err != nil {
		return AgentView{}, false, err
	}
	v, err := r.Agent(ctx, a.ID)
	return v, created, err
}

// eligibility is the agent's eligibility as the store keeps it.
func eligibility(a workforce.Agent, cfg *config.Config) []queues.Eligibility {
	es := a.Eligible(cfg)
	out := make([]queues.Eligibility, len(es))
	for i, e := range es {
		out[i] = queues.Eligibility(e)
	}
	return out
}

// Agent returns one agent.
func (r *Agents) Agent(ctx context.Context, id string) (AgentView, error) {
	st, err := r.store.GetAgent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	return view(st)
}

// Contact is where the agent's calls ring ("" when nowhere).
func (r *Agents) Contact(ctx context.Context, id string) (string, error) {
	a, err := r.Agent(ctx, id)
	return a.Contact, err
}

// Agents returns every agent.
func (r *Agents) Agents(ctx context.Context) ([]AgentView, error) {
	sts, err := r.store.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AgentView, 0, len(sts))
	for _, st := range sts {
		v, err := view(st)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func view(st queues.AgentState) (AgentView, error) {
	var a workforce.Agent
	if err := json.Unmarshal(st.Profile, &a); err != nil {
		return AgentView{}, fmt.Errorf("decode agent %s: %w", st.ID, err)
	}
	return AgentView{Agent: a, State: st}, nil
}

// DeleteAgent removes an agent who holds no task.
func (r *Agents) DeleteAgent(ctx context.Context, id string) error {
	return r.store.DeleteAgent(ctx, r.clock.Now(), id)
}

// Presence is a presence change.
type Presence struct {
	Presence string `json:"presence"`
	Reason   string `json:"reason"`
}

// SetPresence changes an agent's presence; becoming available routes waiting work.
func (r *Agents) SetPresence(ctx context.Context, id string, p Presence) error {
	var errs validation.Errors
	if !slices.Contains(queues.Presences, p.Presence) {
		errs.Add("presence", "must be one of %s", strings.Join(queues.Presences, ", "))
	}
	if len(p.Reason) > 200 {
		errs.Add("reason", "must be at most 200 bytes")
	}
	if p.Presence == queues.Available && p.Reason != "" {
		errs.Add("reason", "only away, offline and acw take a reason")
	}
	if len(errs) > 0 {
		return errs
	}
	_, err := r.store.SetPresence(ctx, r.clock.Now(), id, p.Presence, p.Reason)
	return err
}

// Tasks ----------------------------------------------------------------------

// TaskRequest asks for a new task. Either Queue, or Skill with Language, says
// where it waits.
type TaskRequest struct {
	Channel        string          `json:"channel"`
	Queue          string          `json:"queue"`
	Skill          string          `json:"skill"`
	Language       string          `json:"language"`
	Priority       int             `json:"priority"`
	Customer       json.RawMessage `json:"customer"`
	Attributes     json.RawMessage `json:"attributes"`
	IdempotencyKey string          `json:"idempotency_key"`
	// Kind is contact (the default) or callback: an outbound call to make.
	Kind string `json:"kind"`
	// NotBefore (RFC 3339) schedules the task: it starts then (a callback
	// at the time the customer chose), its SLA clock with it.
	NotBefore string `json:"not_before"`
}

const maxPriority = 100

// maxSchedule is how far ahead a task may be scheduled.
const maxSchedule = 90 * 24 * time.Hour

// CreateTask validates a request, stores the task and routes it. created is
// false when the idempotency key matched an earlier task, which is returned.
func (r *Router) CreateTask(ctx context.Context, req TaskRequest) (queues.Task, bool, error) {
	cr, err := r.Route(ctx, req)
	if err != nil {
		return queues.Task{}, false, err
	}
	t, err := r.store.GetTask(ctx, cr.TaskID)
	return t, !cr.Duplicate, err
}

// Route validates a request, stores the task and routes it, and tells what
// routing did without reading the task back.
func (r *Router) Route(ctx context.Context, req TaskRequest) (queues.Created, error) {
	nt, err := r.Prepare(req)
	if err != nil {
		return queues.Created{}, err
	}
	if r.history != nil && len(nt.IdentityKeys) > 0 {
		if nt.NewCustomerID, err = r.customerID(ctx, r.store, nt.IdentityKeys); err != nil {
			return queues.Created{}, err
		}
	}
	cr, err := r.store.CreateTask(ctx, r.clock.Now(), nt)
	var qe *queues.Error
	if errors.As(err, &qe) && qe.Code == "idempotency_conflict" {
		return queues.Created{}, validation.Errors{{Field: "idempotency_key",
			Reason: "was used for a different request (task " + qe.Detail + "): use a new key for a new task"}}
	}
	return cr, err
}

// Prepare validates a request and gives the task to store, as of now,
// without storing it (Route stores it; the simulator pipelines it).
func (r *Router) Prepare(req TaskRequest) (queues.NewTask, error) {
	var errs validation.Errors
	if _, ok := r.cfg.Channels[req.Channel]; !ok {
		errs.Add("channel", "must be one of %s", strings.Join(r.cfg.ChannelNames(), ", "))
	}
	q, qerrs := r.resolveQueue(req)
	errs = append(errs, qerrs...)
	if req.Priority < 0 || req.Priority > maxPriority {
		errs.Add("priority", "must be between 0 and %d", maxPriority)
	}
	if len(req.IdempotencyKey) > 200 {
		errs.Add("idempotency_key", "must be at most 200 bytes")
	}
	customer, err := object(req.Customer)
	if err != nil {
		errs.Add("customer", "%s", err)
	}
	ids, name := r.customerIdentities(customer, &errs)
	attrs, err := object(req.Attributes)
	if err != nil {
		errs.Add("attributes", "%s", err)
	}
	now := r.clock.Now()
	switch req.Kind {
	case "", "contact", "callback":
	default:
		errs.Add("kind", "must be contact or callback")
	}
	start := now
	if req.NotBefore != "" {
		at, err := time.Parse(time.RFC3339, req.NotBefore)
		switch {
		case err != nil:
			errs.Add("not_before", "must be an RFC 3339 time, like 2026-03-02T09:00:00Z")
		case at.Sub(now) > maxSchedule:
			errs.Add("not_before", "must be within %d days", int(maxSchedule.Hours()/24))
		case at.After(now):
			start = at
		}
	}
	if len(errs) > 0 {
		return queues.NewTask{}, errs
	}
	if req.Kind == "callback" {
		// A call back is made while the queue is open: not before its opening.
		if cal := r.cfg.Calendar(q); cal != nil && !cal.Open(start) {
			if next, ok := cal.NextOpen(start); ok {
				start = next
			}
		}
	}
	nt := r.newTask(q, req.Channel, req.Priority, start)
	if req.Kind == "callback" {
		nt.Kind = "callback"
	}
	nt.NotBefore = start
	nt.Customer, nt.Attributes = customer, attrs
	// Linked to the customer as webhooks are: found by GET /v1/customers
	// and in the customer's timeline.
	if len(ids) > 0 {
		nt.IdentityKeys, nt.NewCustomerID, nt.CustomerName = ids, NewID("cus"), name
	}
	if req.IdempotencyKey != "" {
		// REST keys live apart from providers' event ids ("<source>:<id>"):
		// a caller's key can never match, or abandon, a provider's contact.
		nt.IdempotencyKey = "rest:" + req.IdempotencyKey
		parts := []any{req.Channel, q.ID, req.Priority, json.RawMessage(customer), json.RawMessage(attrs)}
		if req.Kind != "" || req.NotBefore != "" {
			parts = append(parts, req.Kind, req.NotBefore) // only when given: earlier keys keep their digest
		}
		d, _ := json.Marshal(parts)
		sum := sha256.Sum256(d)
		nt.RequestDigest = hex.EncodeToString(sum[:])
	}
	return nt, nil
}

func (r *base) resolveQueue(req TaskRequest) (config.Queue, validation.Errors) {
	var errs validation.Errors
	if req.Queue != "" {
		if req.Skill != "" || req.Language != "" {
			errs.Add("queue", "give either queue, or skill and language, not both")
			return config.Queue{}, errs
		}
		q, ok := r.cfg.Queue(req.Queue)
		if !ok {
			errs.Add("queue", "unknown queue %q", req.Queue)
		}
		return q, errs
	}
	if req.Skill == "" {
		errs.Add("queue", "is required (or skill and language)")
		return config.Queue{}, errs
	}
	if !slices.Contains(r.cfg.Skills, req.Skill) {
		errs.Add("skill", "unknown skill %q", req.Skill)
	}
	if req.Language == "" {
		errs.Add("language", "is required with skill")
	}
	if len(errs) > 0 {
		return config.Queue{}, errs
	}
	// The same matching as contacts from providers: "es-MX" is served by
	// an "es" queue when no "es-MX" one is configured.
	if lang := r.configuredLanguage(req.Language); lang != "" {
		for _, q := range r.cfg.Queues {
			if q.Skill == req.Skill && q.Language == lang {
				return q, nil
			}
		}
	}
	errs.Add("language", "no queue serves skill %q in %q", req.Skill, req.Language)
	return config.Queue{}, errs
}

// object checks that raw is a JSON object (or absent) of bounded size.
func object(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`), nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("must be a JSON object")
	}
	if len(raw) > 16<<10 {
		return nil, errors.New("must be at most 16 KiB")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, errors.New("must be a JSON object")
	}
	return buf.Bytes(), nil
}

// Task returns one task.
func (r *Router) Task(ctx context.Context, id string) (queues.Task, error) {
	t, _, err := r.task(ctx, r.store, id)
	return t, err
}

// Accept turns an offer into an assignment. asAgent, when set, is the agent the
// caller acts for: the offer must be theirs.
func (r *Router) Accept(ctx context.Context, offer, asAgent string) (queues.Accepted, error) {
	// With Twilio, a call is answered once a hand-off puts it through.
	return r.store.AcceptOffer(ctx, r.clock.Now(), offer, asAgent, r.cfg.Twilio.Enabled())
}

// Reject declines an offer.
func (r *Router) Reject(ctx context.Context, offer, asAgent string) error {
	return r.store.RejectOffer(ctx, r.clock.Now(), offer, asAgent)
}

// Complete ends an assigned task; it returns the new state and the offers
// the freed agent got.
func (r *Router) Complete(ctx context.Context, id, asAgent, disposition string) (queues.Completion, error) {
	if len(disposition) > 200 {
		return queues.Completion{}, validation.Errors{{Field: "disposition", Reason: "must be at most 200 bytes"}}
	}
	return r.store.CompleteTask(ctx, r.clock.Now(), id, asAgent, disposition)
}

// Ready ends a task's wrap-up early.
func (r *Router) Ready(ctx context.Context, id, asAgent string) error {
	return r.store.EndWrapUp(ctx, r.clock.Now(), id, asAgent)
}

// Cancel ends an unfinished task with a reason.
func (r *Router) Cancel(ctx context.Context, id, reason string) error {
	var errs validation.Errors
	if reason == "" {
		errs.Add("reason", "is required")
	} else if len(reason) > 200 {
		errs.Add("reason", "must be at most 200 bytes")
	}
	if len(errs) > 0 {
		return errs
	}
	return r.store.CancelTask(ctx, r.clock.Now(), id, reason)
}

// Transfer is a transfer request: to a queue, or to one agent.
type Transfer struct {
	Queue string `json:"queue"`
	Agent string `json:"agent"`
}

// Transfer moves a task; it returns the agent now offered it, if any.
func (r *Router) Transfer(ctx context.Context, id string, to Transfer, asAgent string) (string, error) {
	var errs validation.Errors
	switch {
	case to.Queue == "" && to.Agent == "":
		errs.Add("queue", "give a queue or an agent to transfer to")
	case to.Queue != "" && to.Agent != "":
		errs.Add("queue", "give a queue or an agent, not both")
	case to.Queue != "":
		if _, ok := r.cfg.Queue(to.Queue); !ok {
			errs.Add("queue", "unknown queue %q", to.Queue)
		}
	case !config.ValidID(to.Agent):
		errs.Add("agent", "is not a valid agent id")
	}
	if len(errs) > 0 {
		return "", errs
	}
	return r.store.TransferTask(ctx, r.clock.Now(), id, to.Queue, to.Agent, asAgent)
}

// Timers ---------------------------------------------------------------------

const fireBatch = 100

// FireDue applies every timer due now, in bounded batches.
func (r *Router) FireDue(ctx context.Context) (queues.Fired, error) {
	var total queues.Fired
	for {
		f, err := r.store.FireTimers(ctx, r.clock.Now(), fireBatch)
		if err != nil {
			return total, err
		}
		total.Timers += f.Timers
		total.OfferTimeouts += f.OfferTimeouts
		total.WrapUpsEnded += f.WrapUpsEnded
		total.Reroutes += f.Reroutes
		total.Offers += f.Offers
		total.SLA += f.SLA
		total.Escalations += f.Escalations
		total.Disconnects += f.Disconnects
		total.Next = f.Next
		total.Made = append(total.Made, f.Made...)
		if f.Timers < fireBatch {
			return total, nil
		}
	}
}

// Run fires due timers until ctx ends. It wakes when the next timer is due,
// or after the configured poll interval at the latest (timers set by other
// replicas are seen then).
func (a *App) Run(ctx context.Context) error {
	r := a.Tasks
	wait := time.NewTimer(0)
	defer wait.Stop()
	var extended time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wait.C:
		}
		// At start, apply the configuration to every agent's eligibility (the
		// queues, strategies and enforcement may have changed since it was
		// stored); then move the stored shift horizon forward a few times a day.
		if extended.IsZero() {
			if rs, err := a.Agents.ResyncAgents(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("resync agents", "err", err)
			} else if err == nil && !rs.Unchanged {
				r.log.Info("agents follow the configuration", "rewritten", rs.Applied, "changed_meanwhile", rs.Skipped)
			}
		}
		if now := r.clock.Now(); now.Sub(extended) > 6*time.Hour {
			if err := a.Planning.RefreshSchedules(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("refresh schedules", "err", err)
			} else {
				extended = now
			}
		}
		next := r.cfg.Routing.TimerPoll
		f, err := r.FireDue(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Error("fire timers", "err", err)
		} else if !f.Next.IsZero() {
			next = min(next, max(f.Next.Sub(r.clock.Now()), time.Millisecond))
		}
		wait.Reset(next)
	}
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a random id with a readable prefix, such as tsk_3kq9....
func NewID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return prefix + "_" + idEncoding.EncodeToString(b)
}

func fieldError(field, reason string) error {
	return validation.Errors{{Field: field, Reason: reason}}
}

// maxImport bounds one bulk import (one script call applies it).
const maxImport = 2000

// ImportAgents validates every agent first and applies them all in one
// atomic step: a bad row rejects the whole import, named by row and field.
func (r *Agents) ImportAgents(ctx context.Context, agents []workforce.Agent) (created, updated int, err error) {
	var errs validation.Errors
	if len(agents) == 0 || len(agents) > maxImport {
		errs.Add("rows", "give between 1 and %d agents", maxImport)
	}
	seen := map[string]int{}
	specs := make([]queues.AgentSpec, 0, len(agents))
	for i := range agents {
		a := &agents[i]
		p := fmt.Sprintf("rows[%d]", i)
		if j, dup := seen[a.ID]; dup && a.ID != "" {
			errs.Add(p+".id", "duplicate of rows[%d]", j)
		}
		seen[a.ID] = i
		for _, e := range a.Normalize(r.cfg) {
			errs.Add(p+"."+e.Field, "%s", e.Reason)
		}
		profile, _ := json.Marshal(a)
		specs = append(specs, queues.AgentSpec{ID: a.ID, Profile: profile, Queues: eligibility(*a, r.cfg), Capacity: a.Capacity,
			VoiceBlocks: a.VoiceBlocks, AutoAnswer: a.AutoAnswer})
	}
	if len(errs) > 0 {
		return 0, 0, errs
	}
	return r.store.UpsertAgents(ctx, r.clock.Now(), specs)
}

// ResyncAgents recomputes every agent's eligibility under the current
// configuration, in bounded batches, when the configuration changed since
// the last resync (its digest is stored): a replica that starts with the
// configuration already applied writes nothing. Each agent is rewritten
// only if its profile is still the one read, so a planner's change made
// meanwhile is never reverted and a deleted agent never comes back.
func (r *Agents) ResyncAgents(ctx context.Context) (Resync, error) {
	digest := r.cfg.Digest()
	stored, err := r.store.ConfigDigest(ctx)
	if err != nil {
		return Resync{}, err
	}
	if stored == digest {
		return Resync{Unchanged: true}, nil
	}
	sts, err := r.store.ListAgents(ctx)
	if err != nil {
		return Resync{}, err
	}
	var out Resync
	const batch = 200
	for i := 0; i < len(sts); i += batch {
		specs := make([]queues.AgentSpec, 0, batch)
		for _, st := range sts[i:min(i+batch, len(sts))] {
			v, err := view(st)
			if err != nil {
				return out, err
			}
			a := v.Agent
			a.Normalize(r.cfg)
			profile, _ := json.Marshal(a)
			specs = append(specs, queues.AgentSpec{ID: a.ID, Profile: profile, Queues: eligibility(a, r.cfg),
				Capacity: a.Capacity, VoiceBlocks: a.VoiceBlocks, AutoAnswer: a.AutoAnswer, Expect: st.Profile})
		}
		applied, skipped, err := r.store.ResyncAgents(ctx, r.clock.Now(), specs)
		if err != nil {
			return out, err
		}
		out.Applied, out.Skipped = out.Applied+applied, out.Skipped+skipped
	}
	return out, r.store.SetConfigDigest(ctx, digest)
}

// Resync is what a resync of the agents did.
type Resync struct {
	// Unchanged: the configuration was already applied; nothing was written.
	Unchanged bool
	// Applied agents were rewritten; Skipped ones had changed (or were
	// deleted) since they were read, and were left as they are.
	Applied, Skipped int
}

// customerIdentities reads the identities a REST caller gives in customer
// (email, phone), normalised as the webhooks do; a malformed one is named.
func (r *Router) customerIdentities(customer []byte, errs *validation.Errors) (ids []string, name string) {
	var c struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	}
	if json.Unmarshal(customer, &c) != nil {
		return nil, ""
	}
	if c.Email != "" {
		if id, err := telephony.EmailIdentity(c.Email); err != nil {
			errs.Add("customer.email", "%v", err)
		} else {
			ids = append(ids, id.Key())
		}
	}
	if c.Phone != "" {
		if id, err := telephony.PhoneIdentity(c.Phone, r.cfg.Customers.DefaultRegion); err != nil {
			errs.Add("customer.phone", "%v", err)
		} else {
			ids = append(ids, id.Key())
		}
	}
	return ids, c.Name
}
