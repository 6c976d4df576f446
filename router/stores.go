package router

import (
	"context"
	"encoding/json"
	"time"

	"switchboard/queues"
)

// Each part of the application layer sees only the part of the store it
// uses: queues.Store and the parts it hands out implement them.

// taskStore is what the task lifecycle and the timers need of the store.
type taskStore interface {
	AcceptOffer(ctx context.Context, now time.Time, offer, asAgent string, connect bool) (queues.Accepted, error)
	CancelTask(ctx context.Context, now time.Time, id, reason string) error
	CompleteTask(ctx context.Context, now time.Time, id, asAgent, disposition string) (queues.Completion, error)
	CreateTask(ctx context.Context, now time.Time, t queues.NewTask) (queues.Created, error)
	EndWrapUp(ctx context.Context, now time.Time, id, asAgent string) error
	FireTimers(ctx context.Context, now time.Time, limit int) (queues.Fired, error)
	GetTask(ctx context.Context, id string) (queues.Task, error)
	CustomerByIdentity(ctx context.Context, identity string) (string, error)
	ListTasks(ctx context.Context, now time.Time, q queues.TaskQuery) ([]queues.Task, queues.Cursor, error)
	RejectOffer(ctx context.Context, now time.Time, offer, asAgent string) error
	TransferTask(ctx context.Context, now time.Time, id, toQueue, toAgent, asAgent string) (string, error)
}

// agentStore is what agent profiles and presence need of the store.
type agentStore interface {
	DeleteAgent(ctx context.Context, now time.Time, id string) error
	GetAgent(ctx context.Context, id string) (queues.AgentState, error)
	ListAgents(ctx context.Context) ([]queues.AgentState, error)
	SetPresence(ctx context.Context, now time.Time, id, presence, reason string) (int, error)
	UpsertAgent(ctx context.Context, now time.Time, a queues.AgentSpec) (created bool, offers int, err error)
	UpsertAgents(ctx context.Context, now time.Time, specs []queues.AgentSpec) (created, updated int, err error)
	ResyncAgents(ctx context.Context, now time.Time, specs []queues.AgentSpec) (applied, skipped int, err error)
	ConfigDigest(ctx context.Context) (string, error)
	SetConfigDigest(ctx context.Context, digest string) error
}

// contactStore is what contacts, customers and conversations need of the store.
type contactStore interface {
	AddReply(ctx context.Context, now time.Time, taskID, asAgent, text string, provider bool) (queues.Reply, error)
	CancelWaiting(ctx context.Context, now time.Time, id, reason string) (queues.Routed, error)
	CallEnded(ctx context.Context, now time.Time, id string) (bool, error)
	CreateTask(ctx context.Context, now time.Time, t queues.NewTask) (queues.Created, error)
	CustomerByIdentity(ctx context.Context, identity string) (string, error)
	GetCustomer(ctx context.Context, id string, limit int64) (queues.Customer, error)
	GetTask(ctx context.Context, id string) (queues.Task, error)
	MessageFailed(ctx context.Context, now time.Time, providerID, status, code string) (string, error)
	Messages(ctx context.Context, taskID string) ([]json.RawMessage, error)
	TaskByIdempotencyKey(ctx context.Context, key string) (string, error)
}

// planningStore is what schedules, presence history and forecasts need of the store.
type planningStore interface {
	BucketCounts(ctx context.Context, queue string, from, to time.Time) (map[time.Time]map[string]queues.Counts, error)
	Forecast(ctx context.Context, queue, channel string) (map[time.Time]queues.ForecastEntry, error)
	GetAgent(ctx context.Context, id string) (queues.AgentState, error)
	ListAgents(ctx context.Context) ([]queues.AgentState, error)
	PresenceLog(ctx context.Context, agent string) ([]queues.PresenceChange, error)
	Schedule(ctx context.Context, agent string) ([]byte, error)
	SetForecast(ctx context.Context, queue, channel string, entries []queues.ForecastEntry) error
	SetSchedules(ctx context.Context, now time.Time, rows []queues.AgentShifts) (int, error)
}

// reportingStore is what queue figures, service-level counters and dead letters need of the store.
type reportingStore interface {
	BucketCounts(ctx context.Context, queue string, from, to time.Time) (map[time.Time]map[string]queues.Counts, error)
	DeadLetters(ctx context.Context, subscriber string) ([]string, error)
	ReplayDeadLetters(ctx context.Context, now time.Time, subscriber, event string) (int, error)
	DeleteDeadLetters(ctx context.Context, now time.Time, subscriber, event string) (int, error)
	EligibleAgents(ctx context.Context, qs []string) (map[string]int64, error)
	PresenceCounts(ctx context.Context) (map[string]int64, error)
	QueueStats(ctx context.Context, qs, channels []string) ([]queues.QueueStat, error)
	ServiceCounts(ctx context.Context, qs []string, from, to time.Time) (map[string]map[string]queues.Counts, error)
}

// planningParts are the parts of the store planning reads: agents, plans
// and the service-level counters.
type planningParts struct {
	*queues.Store
	*queues.Plans
	*queues.Figures
}

// reportingParts are the parts of the store reporting reads.
type reportingParts struct {
	*queues.Figures
	*queues.Outbox
}
