package outbox_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/clock"
	"switchboard/internal/redistest"
	"switchboard/outbox"
	"switchboard/queues"
)

func TestMain(m *testing.M) { redistest.Main(m) }

type fixture struct {
	t      *testing.T
	ctx    context.Context
	store  *queues.Store
	keeper *outbox.Keeper
	now    time.Time
}

// newFixture is a workspace whose events stream keeps at most ceiling entries.
func newFixture(t *testing.T, ceiling int) *fixture {
	ws := redistest.Workspace(t)
	store := queues.New(redistest.Client(t), ws, queues.Settings{MaxMissedOffers: 3,
		ReofferDelay: time.Minute, AgentStreamLength: 100, EventsLength: ceiling, TimelineInOffer: 3})
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := &fixture{t: t, ctx: context.Background(), store: store, now: now,
		keeper: &outbox.Keeper{Store: store.Outbox(), Clock: clock.NewManual(now), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Owner: "test", Metrics: outbox.NewMetrics(prometheus.NewRegistry())}}
	profile, _ := json.Marshal(map[string]string{"id": "ana"})
	if _, _, err := store.UpsertAgent(f.ctx, now, queues.AgentSpec{ID: "ana", Profile: profile}); err != nil {
		t.Fatal(err)
	}
	return f
}

// events appends n events (presence changes).
func (f *fixture) events(n int) {
	f.t.Helper()
	for i := range n {
		p := queues.Available
		if i%2 == 1 {
			p = queues.Away
		}
		if _, err := f.store.SetPresence(f.ctx, f.now, "ana", p, ""); err != nil {
			f.t.Fatal(err)
		}
	}
}

// read reads and acknowledges up to n events for group; it returns their ids.
func (f *fixture) read(group string, n int) []string {
	f.t.Helper()
	var ids []string
	for len(ids) < n {
		evs, err := f.store.Outbox().ReadGroup(f.ctx, group, "c1", int64(min(100, n-len(ids))), -1)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			ids = append(ids, e.ID)
			if err := f.store.Outbox().Ack(f.ctx, group, e.ID); err != nil {
				f.t.Fatal(err)
			}
		}
	}
	return ids
}

func (f *fixture) pass() queues.Retained {
	f.t.Helper()
	r, err := f.keeper.Pass(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// A group far behind another loses nothing: the stream keeps what it has
// not acknowledged, whatever the other read, and lets go once it has.
func TestLaggingGroupLosesNothing(t *testing.T) {
	f := newFixture(t, 5000)
	for _, g := range []string{"fast", "slow"} {
		if err := f.store.Outbox().EnsureGroupFrom(f.ctx, g, "$"); err != nil {
			t.Fatal(err)
		}
	}
	var slow []string
	total := 0
	for range 6 {
		f.events(500)
		total += 500
		f.read("fast", 500)
		slow = append(slow, f.read("slow", 100)...) // a fifth of the pace
		r := f.pass()
		if r.Dropped != 0 {
			t.Fatalf("dropped %d below the ceiling", r.Dropped)
		}
	}
	r := f.pass()
	if r.Length != int64(total-len(slow)) {
		t.Fatalf("stream holds %d, want the %d the slow group has not read", r.Length, total-len(slow))
	}
	slow = append(slow, f.read("slow", total)...)
	if len(slow) != total {
		t.Fatalf("the slow group read %d of %d events", len(slow), total)
	}
	for i := 1; i < len(slow); i++ {
		if queues.CompareStreamIDs(slow[i-1], slow[i]) >= 0 {
			t.Fatalf("out of order at %d", i)
		}
	}
	if r := f.pass(); r.Length > 1 {
		t.Fatalf("after every group acknowledged: %d entries left", r.Length)
	}
}

// At the ceiling the oldest unacknowledged events go, and the loss is
// counted against the group that had not read them.
func TestCeilingDropsAreCounted(t *testing.T) {
	f := newFixture(t, 1000)
	if err := f.store.Outbox().EnsureGroupFrom(f.ctx, "slow", "$"); err != nil {
		t.Fatal(err)
	}
	f.events(1500)
	r := f.pass()
	if r.Dropped != 500 || r.Length != 1000 || len(r.Laggards) != 1 || r.Laggards[0] != "slow" {
		t.Fatalf("at the ceiling: %+v", r)
	}
	if got := len(f.read("slow", 2000)); got != 1000 {
		t.Fatalf("the slow group read %d, want the 1000 kept", got)
	}
}

// A consumer a replica left behind (idle, nothing pending) is removed; one
// with pending events stays until they are claimed.
func TestIdleConsumersAreRemoved(t *testing.T) {
	if redistest.Embedded() {
		t.Skip("the embedded Redis reports no consumer idle times")
	}
	f := newFixture(t, 1000)
	if err := f.store.Outbox().EnsureGroupFrom(f.ctx, "metrics", "0"); err != nil {
		t.Fatal(err)
	}
	f.events(4)
	f.read("metrics", 100) // consumer c1: everything acknowledged
	if _, err := f.store.Outbox().ReadGroup(f.ctx, "metrics", "c2", 10, -1); err != nil {
		t.Fatal(err)
	}
	f.events(2)
	if _, err := f.store.Outbox().ReadGroup(f.ctx, "metrics", "c3", 10, -1); err != nil { // c3 holds 2 pending
		t.Fatal(err)
	}
	// Redis measures idleness on its own clock: let a few milliseconds pass.
	time.Sleep(20 * time.Millisecond)
	f.keeper.Idle = 10 * time.Millisecond
	r := f.pass()
	if len(r.Removed) != 2 || r.Removed[0] != "metrics/c1" || r.Removed[1] != "metrics/c2" {
		t.Fatalf("removed %v, want metrics/c1 and metrics/c2", r.Removed)
	}
}
