package queues

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Task states.
const (
	// Scheduled: waiting for its start (NotBefore), a callback say.
	Scheduled = "scheduled"
	Queued    = "queued"
	Reserved  = "reserved"
	Assigned  = "assigned"
	Wrapping  = "wrapping"
	Completed = "completed"
	Canceled  = "canceled"
)

// NewTask is a task to create. The router fills every field from the request
// and the configuration.
type NewTask struct {
	ID             string
	IdempotencyKey string
	IdempotencyTTL time.Duration
	// RequestDigest identifies the caller's request: the same idempotency
	// key with another request is refused (ErrConflict, code
	// idempotency_conflict). Empty for providers' events.
	RequestDigest string
	Channel       string
	Queue         string
	Priority      int
	DueAt         time.Time
	OfferTimeout  time.Duration
	WrapUp        time.Duration
	Customer      json.RawMessage
	Attributes    json.RawMessage

	// IdentityKeys link the task to the customer any of them belongs to (one
	// is created, with id NewCustomerID, when none is known); the first is
	// the primary identity.
	IdentityKeys  []string
	NewCustomerID string
	CustomerName  string
	// Message is the customer's first message (JSON), if any.
	Message json.RawMessage
	// Join sends the message to the customer's open conversation on the same
	// channel, if there is one, instead of creating a task.
	Join bool
	// A customer served within PreferredWindow waits PreferredWait for the
	// same agent before the queue at large.
	PreferredWindow time.Duration
	PreferredWait   time.Duration

	// FirstWarnAt is when the first-response warning fires (DueAt is the
	// target); zero DueAt means no first-response clock.
	FirstWarnAt time.Time
	// NextReplyDue and NextReplyWarn are the next-reply clock's times if a
	// customer message arriving now starts one (zero: no such target).
	NextReplyDue, NextReplyWarn time.Time
	// Escalation are the queue's escalation steps.
	Escalation []EscalationStep
	// Kind is "" for a contact, or callback: an outbound call to make.
	Kind string
	// NotBefore, when later than now, schedules the task: it waits,
	// uncounted and unrouted, and starts then (DueAt and FirstWarnAt are
	// then reckoned from NotBefore).
	NotBefore time.Time
	// SurveyScore is the message read as a survey score (nil: not one) and
	// OptOut whether it is a survey opt-out word: a customer with a survey
	// pending answers it so (see create_task).
	SurveyScore *int
	OptOut      bool
	// Skill is the queue's skill; a contact of a customer whose previous
	// contact was about the same skill and ended within RepeatWindow (or is
	// still open) is a repeat (task.created's repeat_of).
	Skill        string
	RepeatWindow time.Duration
}

// EscalationStep is one escalation step, as the scripts read it.
type EscalationStep struct {
	AfterMS   int64    `json:"after,omitempty"`
	AtWarning bool     `json:"warning,omitempty"`
	Raise     int      `json:"raise,omitempty"`
	Overflow  []string `json:"overflow,omitempty"`
	Notify    bool     `json:"notify,omitempty"`
	// MinProficiency lowers the proficiency an agent needs to take the task.
	MinProficiency int `json:"min_prof,omitempty"`
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Created is the outcome of CreateTask.
type Created struct {
	TaskID     string
	Agent      string // the agent the task was offered to, if any
	CustomerID string
	Joined     bool // the message joined an open conversation
	Duplicate  bool // the idempotency key was seen: nothing was written
	// Survey is what the message did to a pending survey of TaskID
	// (answered, opted_out); no contact was made.
	Survey string
	Routed
}

// Offer is an offer a transition made; Assigned when the agent answers
// automatically (the task is theirs at once).
type Offer struct {
	ID       string `json:"offer"`
	Task     string `json:"task"`
	Agent    string `json:"agent"`
	Assigned bool   `json:"assigned"`
}

// Routed is what a transition did to routing besides its own result: the
// offers it made and, with Settings.ReportNextTimer, when the earliest timer
// is due (zero: none).
type Routed struct {
	Made      []Offer
	NextTimer time.Time
}

// routedReply is the part of every script reply that Routed decodes.
type routedReply struct {
	Made      []Offer `json:"made"`
	NextTimer int64   `json:"next_timer,string"`
}

func (r routedReply) routed() Routed {
	out := Routed{Made: r.Made}
	if r.NextTimer > 0 {
		out.NextTimer = time.UnixMilli(r.NextTimer).UTC()
	}
	return out
}

// Task is a task as stored.
type Task struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Kind is contact, or callback (an outbound call to make).
	Kind string `json:"kind"`
	// NotBefore is when a scheduled task starts (or started).
	NotBefore      *time.Time     `json:"not_before,omitempty"`
	Channel        string         `json:"channel"`
	Queue          string         `json:"queue"`
	Priority       int            `json:"priority"`
	Agent          string         `json:"agent,omitempty"`
	Offer          string         `json:"offer_id,omitempty"`
	OfferDeadline  *time.Time     `json:"offer_deadline,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	DueAt          time.Time      `json:"first_response_due_at"`
	ReservedAt     *time.Time     `json:"reserved_at,omitempty"`
	AssignedAt     *time.Time     `json:"assigned_at,omitempty"`
	WrapUntil      *time.Time     `json:"wrap_until,omitempty"`
	EndedAt        *time.Time     `json:"ended_at,omitempty"`
	Disposition    string         `json:"disposition,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
	Offers         int            `json:"offers"`
	CustomerID     string         `json:"customer_id,omitempty"`
	FirstResponse  *time.Time     `json:"first_response_at,omitempty"`
	PreferredAgent string         `json:"preferred_agent,omitempty"`
	AbandonWait    *time.Duration `json:"-"`
	MessagesIn     int            `json:"messages_in"`
	MessagesOut    int            `json:"messages_out"`
	DeliveryFails  int            `json:"delivery_failures,omitempty"`
	// SendFailures counts replies the provider would not take after every attempt.
	SendFailures int `json:"send_failures,omitempty"`
	// Connect is how putting a provider's call through to the agent went:
	// pending, connected or failed (ConnectError says why).
	Connect      string            `json:"connect,omitempty"`
	ConnectError string            `json:"connect_error,omitempty"`
	Survey       *Survey           `json:"survey,omitempty"`
	Clocks       []Clock           `json:"sla_clocks"`
	Escalations  []json.RawMessage `json:"escalations,omitempty"`
	Overflow     []string          `json:"overflow_queues,omitempty"`
	Customer     json.RawMessage   `json:"customer"`
	Attributes   json.RawMessage   `json:"attributes"`
}

// Survey is the satisfaction survey of a completed contact.
type Survey struct {
	Kind       string     `json:"kind"`  // csat (1-5) or nps (0-10)
	State      string     `json:"state"` // scheduled, sent, answered
	SentAt     *time.Time `json:"sent_at,omitempty"`
	Score      *int       `json:"score,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
}

// CreateTask stores and routes a task, or adds its message to the customer's
// open conversation. When the idempotency key was seen before, nothing is
// written and Duplicate is set with the earlier task's id.
func (s *Store) CreateTask(ctx context.Context, now time.Time, t NewTask) (Created, error) {
	var r createReply
	return r.created(t.ID, s.run(ctx, createTaskScript, now, createArgsOf(t), &r))
}

func createArgsOf(t NewTask) createArgs {
	steps, _ := json.Marshal(nonNil(t.Escalation))
	return createArgs{
		ID: t.ID, IdempotencyKey: t.IdempotencyKey, IdempotencyTTLMS: t.IdempotencyTTL.Milliseconds(), RequestDigest: t.RequestDigest,
		Channel: t.Channel, Queue: t.Queue, Priority: t.Priority, DueAt: t.DueAt.UnixMilli(),
		OfferMS: t.OfferTimeout.Milliseconds(), WrapMS: t.WrapUp.Milliseconds(),
		Customer: string(t.Customer), Attributes: string(t.Attributes), Identities: nonNil(t.IdentityKeys),
		NewCustomer: t.NewCustomerID, CustomerName: t.CustomerName, Message: string(t.Message), Join: t.Join,
		PreferredWindowMS: t.PreferredWindow.Milliseconds(), PreferredWaitMS: t.PreferredWait.Milliseconds(),
		FirstWarnAt: msOrZero(t.FirstWarnAt), NextReplyDue: msOrZero(t.NextReplyDue), NextReplyWarn: msOrZero(t.NextReplyWarn),
		Escalation: string(steps), Kind: t.Kind, NotBefore: msOrZero(t.NotBefore),
		Score: scoreArg(t.SurveyScore), OptOut: t.OptOut, Skill: t.Skill, RepeatWindowMS: t.RepeatWindow.Milliseconds(),
	}
}

func scoreArg(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// createReply is create_task's reply.
type createReply struct {
	Task     string `json:"task"`
	Agent    string `json:"agent"`
	Customer string `json:"customer"`
	Joined   bool   `json:"joined"`
	Survey   string `json:"survey"`
	routedReply
}

func (r createReply) created(id string, err error) (Created, error) {
	if e, ok := err.(*Error); ok && e.Code == "duplicate" {
		return Created{TaskID: e.Detail, Duplicate: true}, nil
	}
	if err != nil {
		return Created{}, fmt.Errorf("create task %s: %w", id, err)
	}
	return Created{TaskID: r.Task, Agent: r.Agent, CustomerID: r.Customer, Joined: r.Joined, Survey: r.Survey,
		Routed: r.routed()}, nil
}

// createArgs is what create_task takes (see its header); empty ones are
// left out (the script reads a missing one as empty: a shorter text to
// decode).
type createArgs struct {
	ID                string   `json:"id"`
	IdempotencyKey    string   `json:"idempotency_key,omitempty"`
	IdempotencyTTLMS  int64    `json:"idempotency_ttl_ms,omitempty"`
	RequestDigest     string   `json:"request_digest,omitempty"`
	Channel           string   `json:"channel"`
	Queue             string   `json:"queue"`
	Priority          int      `json:"priority,omitempty"`
	DueAt             int64    `json:"due_at"`
	OfferMS           int64    `json:"offer_ms,omitempty"`
	WrapMS            int64    `json:"wrap_ms,omitempty"`
	Customer          string   `json:"customer,omitempty"`
	Attributes        string   `json:"attributes,omitempty"`
	Identities        []string `json:"identities,omitempty"`
	NewCustomer       string   `json:"new_customer,omitempty"`
	CustomerName      string   `json:"customer_name,omitempty"`
	Message           string   `json:"message,omitempty"`
	Join              bool     `json:"join,omitempty"`
	PreferredWindowMS int64    `json:"preferred_window_ms,omitempty"`
	PreferredWaitMS   int64    `json:"preferred_wait_ms,omitempty"`
	FirstWarnAt       int64    `json:"first_warn_at,omitempty"`
	NextReplyDue      int64    `json:"next_reply_due,omitempty"`
	NextReplyWarn     int64    `json:"next_reply_warn,omitempty"`
	Escalation        string   `json:"escalation,omitempty"`
	Kind              string   `json:"kind,omitempty"`
	NotBefore         int64    `json:"not_before,omitempty"`
	Score             int      `json:"score"`
	OptOut            bool     `json:"opt_out,omitempty"`
	Skill             string   `json:"skill,omitempty"`
	RepeatWindowMS    int64    `json:"repeat_window_ms,omitempty"`
}

// GetTask returns one task, or an error wrapping ErrNotFound.
func (s *Store) GetTask(ctx context.Context, id string) (Task, error) {
	ts, err := s.getTasks(ctx, []string{id})
	if err != nil {
		return Task{}, err
	}
	if len(ts) == 0 {
		return Task{}, &Error{Code: "task_not_found", Detail: id}
	}
	return ts[0], nil
}

// getTasks reads tasks in one round trip; those that do not exist are left out.
func (s *Store) getTasks(ctx context.Context, ids []string) ([]Task, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	hcs := make([]*redis.MapStringStringCmd, len(ids))
	ecs := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		hcs[i] = pipe.HGetAll(ctx, s.keys.taskKey(id))
		ecs[i] = pipe.LRange(ctx, s.keys.escalationsKey(id), 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("get tasks %s: %w", strings.Join(ids, ","), err)
	}
	out := make([]Task, 0, len(ids))
	for i, id := range ids {
		h := hcs[i].Val()
		if len(h) == 0 {
			continue
		}
		t := taskFromHash(id, h)
		for _, e := range ecs[i].Val() {
			t.Escalations = append(t.Escalations, json.RawMessage(e))
		}
		out = append(out, t)
	}
	return out, nil
}

func taskFromHash(id string, h map[string]string) Task {
	t := Task{
		ID:             id,
		State:          h["state"],
		Kind:           cmp.Or(h["kind"], "contact"),
		NotBefore:      optMS(h["not_before"]),
		Channel:        h["channel"],
		Queue:          h["queue"],
		Agent:          h["agent"],
		Offer:          h["offer"],
		CreatedAt:      ms(h["created_at"]),
		DueAt:          ms(h["due_at"]),
		OfferDeadline:  optMS(h["deadline"]),
		ReservedAt:     optMS(h["reserved_at"]),
		AssignedAt:     optMS(h["assigned_at"]),
		WrapUntil:      optMS(h["wrap_until"]),
		EndedAt:        optMS(h["ended_at"]),
		Disposition:    h["disposition"],
		Reason:         h["reason"],
		IdempotencyKey: h["idempotency_key"],
		Customer:       json.RawMessage(h["customer"]),
		Attributes:     json.RawMessage(h["attributes"]),
	}
	t.Priority, _ = strconv.Atoi(h["priority"])
	t.Offers, _ = strconv.Atoi(h["offer_seq"])
	t.CustomerID = h["customer_id"]
	t.FirstResponse = optMS(h["first_response_at"])
	t.PreferredAgent = h["pref"]
	t.MessagesIn, _ = strconv.Atoi(h["messages_in"])
	t.MessagesOut, _ = strconv.Atoi(h["messages_out"])
	t.DeliveryFails, _ = strconv.Atoi(h["delivery_failures"])
	t.SendFailures, _ = strconv.Atoi(h["send_failures"])
	t.Connect, t.ConnectError = h["handoff_state"], h["handoff_error"]
	if k := h["survey_kind"]; k != "" {
		sv := &Survey{Kind: k, State: h["survey_state"], SentAt: optMS(h["survey_sent_at"]),
			AnsweredAt: optMS(h["survey_answered_at"])}
		if n, err := strconv.Atoi(h["survey_score"]); err == nil {
			sv.Score = &n
		}
		t.Survey = sv
	}
	t.Clocks = []Clock{}
	for _, c := range []struct{ field, name string }{{"fr", "first_response"}, {"nr", "next_reply"}} {
		if h[c.field+"_state"] == "" {
			continue
		}
		clk := Clock{Name: c.name, State: h[c.field+"_state"], DueAt: ms(h[c.field+"_due"]), WarnAt: optMS(h[c.field+"_warn"]),
			BreachedAt: optMS(h[c.field+"_breached_at"])}
		// A breached clock was answered late, never met.
		if clk.State == "breached" {
			clk.AnsweredAt = optMS(h[c.field+"_met_at"])
		} else {
			clk.MetAt = optMS(h[c.field+"_met_at"])
		}
		if late, err := strconv.ParseInt(h[c.field+"_late_ms"], 10, 64); err == nil {
			clk.LateBy = (time.Duration(late) * time.Millisecond).String()
		}
		t.Clocks = append(t.Clocks, clk)
	}
	if o := h["overflow"]; o != "" {
		t.Overflow = strings.Split(o, ",")
	}
	if w, err := strconv.ParseInt(h["abandon_wait_ms"], 10, 64); err == nil {
		d := time.Duration(w) * time.Millisecond
		t.AbandonWait = &d
	}
	return t
}

func optMS(s string) *time.Time {
	if s == "" || s == "0" {
		return nil
	}
	t := ms(s)
	if t.IsZero() {
		return nil
	}
	return &t
}

// Clock is one SLA clock of a task.
type Clock struct {
	Name       string     `json:"clock"` // first_response or next_reply
	State      string     `json:"state"` // running, met, breached, stopped
	DueAt      time.Time  `json:"due_at"`
	WarnAt     *time.Time `json:"warn_at,omitempty"` // the warning before the breach, if the policy has one
	MetAt      *time.Time `json:"met_at,omitempty"`
	BreachedAt *time.Time `json:"breached_at,omitempty"`
	// AnsweredAt is when a breached clock's response came (late).
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	LateBy     string     `json:"late_by,omitempty"` // how late the response came, when it did
}

// Accepted describes a task an agent accepted.
type Accepted struct {
	TaskID, Agent, Queue, Channel string
	Wait                          time.Duration // from creation to acceptance
	// Handoff is the hand-off that puts the call through ("" for none).
	Handoff string
}

// AcceptOffer turns an open offer into an assignment. asAgent, when not empty,
// is the agent the caller acts for; the offer must be theirs. With connect,
// a provider's call is answered only once a hand-off puts it through.
func (s *Store) AcceptOffer(ctx context.Context, now time.Time, offer, asAgent string, connect bool) (Accepted, error) {
	var r struct {
		Task    string `json:"task"`
		Agent   string `json:"agent"`
		Queue   string `json:"queue"`
		Channel string `json:"channel"`
		WaitMS  int64  `json:"wait_ms"`
		Handoff string `json:"handoff"`
	}
	args := struct {
		offerArgs
		Connect bool `json:"connect"`
	}{offerArgs{offer, asAgent}, connect}
	if err := s.run(ctx, acceptOfferScript, now, args, &r); err != nil {
		return Accepted{}, fmt.Errorf("accept offer %s: %w", offer, err)
	}
	return Accepted{TaskID: r.Task, Agent: r.Agent, Queue: r.Queue, Channel: r.Channel,
		Wait: time.Duration(r.WaitMS) * time.Millisecond, Handoff: r.Handoff}, nil
}

// offerArgs name an offer and the agent the caller acts for ("" for any).
type offerArgs struct {
	Offer   string `json:"offer"`
	AsAgent string `json:"as_agent"`
}

// taskArgs name a task and the agent the caller acts for ("" for any).
type taskArgs struct {
	Task    string `json:"task"`
	AsAgent string `json:"as_agent"`
}

// RejectOffer declines an open offer; the task goes back to its queue.
func (s *Store) RejectOffer(ctx context.Context, now time.Time, offer, asAgent string) error {
	if err := s.run(ctx, rejectOfferScript, now, offerArgs{offer, asAgent}, nil); err != nil {
		return fmt.Errorf("reject offer %s: %w", offer, err)
	}
	return nil
}

// Completion is what completing a task did: the task's new state (wrapping:
// capacity held for wrap-up; or completed) and the offers its freed agent got.
type Completion struct {
	State string
	Routed
}

// CompleteTask ends an assigned task with a disposition.
func (s *Store) CompleteTask(ctx context.Context, now time.Time, id, asAgent, disposition string) (Completion, error) {
	var r completeReply
	return r.completion(id, s.run(ctx, completeTaskScript, now, completeArgsOf(id, asAgent, disposition), &r))
}

type completeArgs struct {
	taskArgs
	Disposition string `json:"disposition"`
}

func completeArgsOf(id, asAgent, disposition string) completeArgs {
	return completeArgs{taskArgs{id, asAgent}, disposition}
}

// completeReply is complete_task's reply.
type completeReply struct {
	State string `json:"state"`
	routedReply
}

func (r completeReply) completion(id string, err error) (Completion, error) {
	if err != nil {
		return Completion{}, fmt.Errorf("complete task %s: %w", id, err)
	}
	return Completion{State: r.State, Routed: r.routed()}, nil
}

// EndWrapUp ends a task's wrap-up early: the agent is ready for more work.
func (s *Store) EndWrapUp(ctx context.Context, now time.Time, id, asAgent string) error {
	if err := s.run(ctx, endWrapUpScript, now, taskArgs{id, asAgent}, nil); err != nil {
		return fmt.Errorf("end wrap-up of %s: %w", id, err)
	}
	return nil
}

// CancelTask ends an unfinished task with a reason.
func (s *Store) CancelTask(ctx context.Context, now time.Time, id, reason string) error {
	_, err := s.cancel(ctx, now, id, reason, false)
	return err
}

// CancelWaiting ends a task only if it is still waiting (queued or offered):
// a customer who gives up. A task already with an agent is left to the agent,
// and the error wraps ErrConflict.
func (s *Store) CancelWaiting(ctx context.Context, now time.Time, id, reason string) (Routed, error) {
	return s.cancel(ctx, now, id, reason, true)
}

func (s *Store) cancel(ctx context.Context, now time.Time, id, reason string, waitingOnly bool) (Routed, error) {
	var r routedReply
	return r.canceled(id, s.run(ctx, cancelTaskScript, now, cancelArgs{id, reason, waitingOnly}, &r))
}

type cancelArgs struct {
	Task        string `json:"task"`
	Reason      string `json:"reason"`
	WaitingOnly bool   `json:"waiting_only"`
}

func (r routedReply) canceled(id string, err error) (Routed, error) {
	if err != nil {
		return Routed{}, fmt.Errorf("cancel task %s: %w", id, err)
	}
	return r.routed(), nil
}

// CallEnded records that the caller of a call an agent holds hung up and
// tells the agent (once); it reports whether it did.
func (s *Store) CallEnded(ctx context.Context, now time.Time, id string) (bool, error) {
	var r struct {
		Told bool `json:"told"`
	}
	if err := s.run(ctx, callEndedScript, now, struct {
		Task string `json:"task"`
	}{id}, &r); err != nil {
		return false, fmt.Errorf("call ended %s: %w", id, err)
	}
	return r.Told, nil
}

// TransferTask moves a task to another queue, or offers it to one agent.
// It returns the agent now offered the task, if any.
func (s *Store) TransferTask(ctx context.Context, now time.Time, id, toQueue, toAgent, asAgent string) (string, error) {
	args := struct {
		Task    string `json:"task"`
		ToQueue string `json:"to_queue"`
		ToAgent string `json:"to_agent"`
		AsAgent string `json:"as_agent"`
	}{id, toQueue, toAgent, asAgent}
	var r struct {
		Offered string `json:"offered"`
	}
	if err := s.run(ctx, transferTaskScript, now, args, &r); err != nil {
		return "", fmt.Errorf("transfer task %s: %w", id, err)
	}
	return r.Offered, nil
}

// Fired counts what one FireTimers call did.
type Fired struct {
	Timers, OfferTimeouts, WrapUpsEnded, Reroutes, Offers int
	// SLA counts warnings and breaches applied, Escalations escalation steps.
	SLA, Escalations int
	// Disconnects counts agents set away because their desktop was gone.
	Disconnects int
	// Next is the due time of the earliest remaining timer (zero when none).
	Next time.Time
	// Made are the offers the timers made.
	Made []Offer
}

// FireTimers applies at most limit due timers. Each timer is claimed and
// applied in the same script, so it fires once across any number of replicas.
func (s *Store) FireTimers(ctx context.Context, now time.Time, limit int) (Fired, error) {
	args := struct {
		Limit int `json:"limit"`
	}{limit}
	var r struct {
		Timers        int     `json:"timers"`
		OfferTimeouts int     `json:"offer_timeouts"`
		WrapUpsEnded  int     `json:"wrap_ups_ended"`
		Reroutes      int     `json:"reroutes"`
		Offers        int     `json:"offers"`
		NextDue       int64   `json:"next_due,string"` // a string: a Lua number would be formatted with 14 digits
		SLA           int     `json:"sla"`
		Escalations   int     `json:"escalations"`
		Disconnects   int     `json:"disconnects"`
		Made          []Offer `json:"made"`
	}
	if err := s.run(ctx, fireTimersScript, now, args, &r); err != nil {
		return Fired{}, fmt.Errorf("fire timers: %w", err)
	}
	f := Fired{Timers: r.Timers, OfferTimeouts: r.OfferTimeouts, WrapUpsEnded: r.WrapUpsEnded, Reroutes: r.Reroutes,
		Offers: r.Offers, SLA: r.SLA, Escalations: r.Escalations, Disconnects: r.Disconnects, Made: r.Made}
	if r.NextDue >= 0 {
		f.Next = time.UnixMilli(r.NextDue).UTC()
	}
	return f, nil
}
