// Package queues is the only package that knows Redis keys and Lua: agents,
// tasks, skill-and-language queues, reservations, timers and streams. Every
// state transition is one Lua script that takes the current time as an argument.
package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Settings are the routing settings every script receives.
type Settings struct {
	MaxMissedOffers   int
	ReofferDelay      time.Duration
	AgentStreamLength int
	EventsLength      int
	// TimelineInOffer is how many earlier contacts of the customer an offer carries.
	TimelineInOffer int
	// Connect: calls from the provider are put through to the agent who
	// accepts them (a hand-off), also when an agent answers automatically.
	Connect bool
	// Retention is how long finished tasks (completed or canceled), their
	// messages and escalations stay; a customer stays as long after their
	// last contact ends. 0 keeps them for ever.
	Retention time.Duration
	// Archived: an archive keeps finished work; a task's expiry is set
	// when the archive has it (ReleaseArchived), not when it ends.
	Archived bool
	// ReportNextTimer makes every transition report the earliest timer's
	// due time (Routed.NextTimer), sparing a caller that steps a clock
	// (the simulator) a read after each one.
	ReportNextTimer bool
	// Unobserved: nobody reads the workspace's outputs (a simulation's, run
	// for its decisions): its transitions write no events, desktop
	// streams, service-level counters or task indexes. Routing, timers
	// and every task's and agent's state are as ever.
	Unobserved bool
}

// Store runs Switchboard's scripts and reads against one Redis workspace:
// tasks, agents and customers itself; the events stream, the agents'
// streams, schedules and forecasts, and the figures through the parts it
// hands out (Outbox, Streams, Plans, Figures), which share its connection.
type Store struct {
	*core
	outbox   *Outbox
	streams  *AgentStreams
	plans    *Plans
	figures  *Figures
	handoffs *Handoffs
	jobs     *Jobs
}

// Outbox is the events stream every transition writes (the outbox): its
// consumer groups, leases and dead letters.
type Outbox struct{ *core }

// AgentStreams are the agents' event streams, their live feed and the
// desktops holding them.
type AgentStreams struct{ *core }

// Plans are the workforce records: schedules, presence history, forecasts.
type Plans struct{ *core }

// Handoffs are the provider hand-offs that follow transitions: calls to put
// through, replies to send.
type Handoffs struct{ *core }

// Figures are the live and counted figures: queues, presence, service-level
// counters, timers.
type Figures struct{ *core }

// Outbox is the workspace's events stream.
func (s *Store) Outbox() *Outbox { return s.outbox }

// Streams are the workspace's agent streams.
func (s *Store) Streams() *AgentStreams { return s.streams }

// Plans are the workspace's schedules and forecasts.
func (s *Store) Plans() *Plans { return s.plans }

// Jobs are the workspace's background jobs.
func (s *Store) Jobs() *Jobs { return s.jobs }

// Handoffs are the workspace's pending provider hand-offs.
func (s *Store) Handoffs() *Handoffs { return s.handoffs }

// Figures are the workspace's queue figures and counters.
func (s *Store) Figures() *Figures { return s.figures }

// core is the connection and settings every part of a Store uses.
type core struct {
	// eventsCeiling is the most events the stream keeps whatever the lag of
	// its consumers (Outbox.Retain); the scripts' own cap, a safety net for
	// a workspace nobody trims, is twice that.
	eventsCeiling int64
	rdb           redis.UniversalClient
	keys          keyspace
	// env is the scripts' settings, ARGV[3] on (see lib.lua).
	env []any
	// streamMax is the length agent streams are trimmed to.
	streamMax int64
	observe   func(script string, d time.Duration)
	// evalOnly is set once the server turned out to have no Functions.
	evalOnly atomic.Bool
	// loaded holds the names of the scripts a pipeline loaded for EVALSHA;
	// codeLoaded is set once a pipeline's call found the code on the server.
	loaded     sync.Map
	codeLoaded atomic.Bool
}

// New returns a Store for workspace.
func New(rdb redis.UniversalClient, workspace string, s Settings) *Store {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	// ARGV[3..12] of every script (lib.lua's begin).
	env := []any{strconv.Itoa(s.MaxMissedOffers), strconv.FormatInt(s.ReofferDelay.Milliseconds(), 10),
		strconv.Itoa(s.AgentStreamLength), strconv.Itoa(2 * s.EventsLength), strconv.Itoa(s.TimelineInOffer),
		b(s.Connect), b(s.ReportNextTimer), strconv.FormatInt(s.Retention.Milliseconds(), 10),
		b(s.Archived), b(s.Unobserved)}
	c := &core{
		eventsCeiling: int64(s.EventsLength),
		rdb:           rdb,
		keys:          keyspace(Prefix(workspace)),
		env:           env,
		streamMax:     int64(s.AgentStreamLength),
	}
	return &Store{core: c, outbox: &Outbox{c}, streams: &AgentStreams{c}, plans: &Plans{c}, figures: &Figures{c},
		handoffs: &Handoffs{c}, jobs: &Jobs{c}}
}

// ObserveScripts registers f to receive the duration of every script call.
func (s *Store) ObserveScripts(f func(script string, d time.Duration)) { s.observe = f }

// Ping checks that Redis answers.
func (s *core) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

var (
	upsertAgentScript    = load("upsert_agent")
	deleteAgentScript    = load("delete_agent")
	setPresenceScript    = load("set_presence")
	createTaskScript     = load("create_task")
	acceptOfferScript    = load("accept_offer")
	rejectOfferScript    = load("reject_offer")
	completeTaskScript   = load("complete_task")
	endWrapUpScript      = load("end_wrapup")
	cancelTaskScript     = load("cancel_task")
	transferTaskScript   = load("transfer_task")
	fireTimersScript     = load("fire_timers")
	addReplyScript       = load("add_reply")
	messageStatusScript  = load("message_status")
	leaseScript          = load("lease")
	setScheduleScript    = load("set_schedule")
	upsertAgentsScript   = load("upsert_agents")
	desktopsScript       = load("desktops")
	claimHandoffsScript  = load("claim_handoffs")
	finishHandoffScript  = load("finish_handoff")
	deadLettersScript    = load("dead_letters")
	jobsScript           = load("jobs")
	callEndedScript      = load("call_ended")
	listTasksScript      = load("list_tasks")
	trimIndexScript      = load("trim_index")
	releaseScript        = load("release_archived")
	scheduleSurveyScript = load("schedule_survey")
	sendSurveysScript    = load("send_surveys")
)

// Errors a script can report; use errors.Is on what the Store returns.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: the request cannot apply to what it names (a text reply to a call).
	ErrInvalid = errors.New("invalid")
	// ErrBusy: as many jobs run as the workspace allows.
	ErrBusy = errors.New("busy")
	// ErrUnavailable: the provider the work needs is not configured.
	ErrUnavailable = errors.New("provider unavailable")
)

// Error is a refusal from a script: Code names it, Detail says what it concerns.
type Error struct {
	Code   string
	Detail string
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

// Unwrap classifies the code.
func (e *Error) Unwrap() error {
	switch e.Code {
	case "agent_not_found", "task_not_found", "offer_not_found", "message_not_found", "customer_not_found", "queue_not_found", "schedule_not_found", "job_not_found", "webhook_not_found":
		return ErrNotFound
	case "voice_task":
		return ErrInvalid
	case "provider_unavailable":
		return ErrUnavailable
	case "forbidden":
		return ErrForbidden
	case "too_many_jobs":
		return ErrBusy
	default:
		return ErrConflict
	}
}

// run calls a script with the workspace prefix, its environment (now and
// the settings) and args, one JSON object; the reply after "ok", a JSON
// object, is decoded into out (nil: not read). A refusal is an *Error.
func (s *core) run(ctx context.Context, sc script, now time.Time, args, out any) error {
	argv, err := s.encode(sc, now, args)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := s.call(ctx, sc, argv...).Slice()
	if s.observe != nil {
		s.observe(sc.name, time.Since(start))
	}
	return decode(sc, res, err, out)
}

// encode gives a script's ARGV: now, its arguments (JSON) and the settings.
func (s *core) encode(sc script, now time.Time, args any) ([]any, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("%s: encode arguments: %w", sc.name, err)
	}
	argv := make([]any, 0, 2+len(s.env))
	return append(append(argv, strconv.FormatInt(now.UnixMilli(), 10), string(b)), s.env...), nil
}

// decode reads a script's reply: {"ok", JSON into out} or a refusal.
func decode(sc script, res []any, err error, out any) error {
	if err != nil {
		return fmt.Errorf("%s: %w", sc.name, err)
	}
	if len(res) == 0 {
		return fmt.Errorf("%s: empty reply", sc.name)
	}
	code, _ := res[0].(string)
	if code != "ok" {
		detail := ""
		if len(res) > 1 {
			detail = str(res[1])
		}
		return &Error{Code: code, Detail: detail}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal([]byte(str(at(res, 1))), out); err != nil {
		return fmt.Errorf("%s: decode reply: %w", sc.name, err)
	}
	return nil
}

// str reads a script reply element without an unchecked assertion.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func at(reply []any, i int) any {
	if i < len(reply) {
		return reply[i]
	}
	return nil
}
