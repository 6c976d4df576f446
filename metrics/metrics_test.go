package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"switchboard/internal/redistest"
	"switchboard/metrics"
	"switchboard/queues"
)

func TestMain(m *testing.M) { redistest.Main(m) }

const created3 = `
# HELP switchboard_tasks_total Task transitions by queue, channel and event (created, assigned, completed, canceled).
# TYPE switchboard_tasks_total counter
switchboard_tasks_total{channel="chat",event="created",queue="q"} 3
`

// Events a stopped replica read but never acknowledged are counted by
// another one once they have been idle a minute: none is lost.
func TestOrphanedEventsAreClaimed(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	ws := redistest.Workspace(t)
	store := queues.New(rdb, ws, queues.Settings{MaxMissedOffers: 3, ReofferDelay: time.Second,
		AgentStreamLength: 100, EventsLength: 10000, TimelineInOffer: 3})
	if err := store.Outbox().EnsureGroup(ctx, metrics.Group); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, id := range []string{"t1", "t2", "t3"} {
		if _, err := store.CreateTask(ctx, now, queues.NewTask{ID: id, Channel: "chat", Queue: "q",
			DueAt: now.Add(time.Minute), OfferTimeout: time.Second, Customer: []byte(`{}`), Attributes: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// The stopped replica read them and never acknowledged them.
	evs, err := store.Outbox().ReadGroup(ctx, metrics.Group, "gone", 100, -1)
	if err != nil || len(evs) != 3 {
		t.Fatalf("read %d, %v", len(evs), err)
	}
	reg := prometheus.NewRegistry()
	c := &metrics.Consumer{Store: store, Metrics: metrics.New(reg), Name: "alive", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if n, err := c.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("took fresh events of another replica: %d %v", n, err)
	}
	// Age them by a minute in Redis's own bookkeeping (its clock, not ours).
	args := []any{"XCLAIM", queues.Prefix(ws) + "events", metrics.Group, "gone", 0}
	for _, e := range evs {
		args = append(args, e.ID)
	}
	if err := rdb.Do(ctx, append(args, "IDLE", 61000)...).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Drain(ctx); err != nil || n != 3 {
		t.Fatalf("claimed %d, %v", n, err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(created3), "switchboard_tasks_total"); err != nil {
		t.Fatal(err)
	}
	// Acknowledged now: a second pass counts nothing more.
	if n, err := c.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("counted again: %d %v", n, err)
	}
}
