package queues_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
	"switchboard/queues"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	ctx   context.Context
	store *queues.Store
	rdb   redis.UniversalClient
	ws    string
	now   time.Time
	seq   int
}

func newFixture(t *testing.T) *fixture {
	rdb := redistest.Client(t)
	ws := redistest.Workspace(t)
	st := queues.New(rdb, ws, queues.Settings{
		MaxMissedOffers: 2, ReofferDelay: 10 * time.Second, AgentStreamLength: 100, EventsLength: 100000, TimelineInOffer: 3,
	})
	return &fixture{t: t, ctx: context.Background(), store: st, rdb: rdb, ws: ws, now: t0}
}

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

// agent creates an agent eligible for the given queues with the given capacity.
func (f *fixture) agent(id string, caps map[string]int, elig ...queues.Eligibility) {
	f.t.Helper()
	if _, _, err := f.store.UpsertAgent(f.ctx, f.now, queues.AgentSpec{
		ID: id, Profile: []byte(`{"id":"` + id + `"}`), Queues: elig, Capacity: caps, VoiceBlocks: []string{"chat"},
	}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) presence(id, p string) {
	f.t.Helper()
	if _, err := f.store.SetPresence(f.ctx, f.now, id, p, ""); err != nil {
		f.t.Fatal(err)
	}
}

// task creates a task and returns its id and the agent it was offered to.
func (f *fixture) task(queue, channel string, priority int) (string, string) {
	f.t.Helper()
	f.seq++
	id := "t" + string(rune('a'+f.seq-1))
	cr, err := f.store.CreateTask(f.ctx, f.now, queues.NewTask{
		ID: id, Channel: channel, Queue: queue, Priority: priority, DueAt: f.now.Add(time.Minute),
		OfferTimeout: 20 * time.Second, WrapUp: 30 * time.Second,
		Customer: json.RawMessage(`{"name":"Ana"}`), Attributes: json.RawMessage(`{}`),
	})
	if err != nil || cr.Duplicate {
		f.t.Fatalf("create task: %v %+v", err, cr)
	}
	return id, cr.Agent
}

func (f *fixture) getTask(id string) queues.Task {
	f.t.Helper()
	tk, err := f.store.GetTask(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return tk
}

func (f *fixture) getAgent(id string) queues.AgentState {
	f.t.Helper()
	a, err := f.store.GetAgent(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func el(q string, p int) queues.Eligibility {
	return queues.Eligibility{Queue: q, Proficiency: p, Strategy: "longest-idle"}
}
