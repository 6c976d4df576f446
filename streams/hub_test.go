package streams_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/clock"
	"switchboard/internal/redistest"
	"switchboard/queues"
	"switchboard/streams"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { redistest.Main(m) }

type fixture struct {
	t     *testing.T
	store *queues.Store
	hub   *streams.Hub
	clock *clock.Manual
}

// newFixture runs a hub with the given buffer against the package's Redis,
// with the stream pool the service uses by default, and waits until it
// follows the feed.
func newFixture(t *testing.T, buffer int, configure ...func(*streams.Options)) *fixture {
	rdb := redistest.ClientPool(t, 8)
	ws := redistest.Workspace(t)
	store := queues.New(rdb, ws, queues.Settings{MaxMissedOffers: 3, AgentStreamLength: 1000, EventsLength: 100000})
	clk := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	o := streams.Options{Store: store, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Buffer: buffer}
	for _, f := range configure {
		f(&o)
	}
	hub := streams.New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = hub.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	f := &fixture{t: t, store: store, hub: hub, clock: clk}
	f.waitSubscribed()
	if _, _, err := store.UpsertAgent(context.Background(), clk.Now(), queues.AgentSpec{
		ID: "ana", Profile: []byte(`{"id":"ana"}`), Capacity: map[string]int{"chat": 1},
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) waitSubscribed() {
	f.t.Helper()
	select {
	case <-f.hub.Ready():
	case <-time.After(10 * time.Second):
		f.t.Fatal("the hub did not subscribe to the agent feed")
	}
}

// toggle appends n presence entries to ana's stream.
func (f *fixture) toggle(n int) {
	f.t.Helper()
	for i := range n {
		p := queues.Away
		if i%2 == 1 {
			p = queues.Offline
		}
		if _, err := f.store.SetPresence(context.Background(), f.clock.Now(), "ana", p, ""); err != nil {
			f.t.Fatal(err)
		}
	}
}

func next(t *testing.T, c *streams.Conn) *queues.Message {
	t.Helper()
	select {
	case m := <-c.Events():
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return nil
	}
}

// A connection that does not take its events is ended with a reason once
// its buffer is full; another connection of the same agent gets every event.
func TestSlowConnectionIsEndedOthersKeepUp(t *testing.T) {
	f := newFixture(t, 4)
	slow, err := f.hub.Connect("ana", true)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast, err := f.hub.Connect("ana", true)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()

	// The fast one takes each event before the next is appended.
	var got []string
	for range 10 {
		f.toggle(1)
		got = append(got, next(t, fast).ID)
	}
	for i := 1; i < len(got); i++ {
		if queues.CompareStreamIDs(got[i-1], got[i]) >= 0 {
			t.Fatalf("out of order: %v", got)
		}
	}
	select {
	case <-slow.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the slow connection was not ended")
	}
	if slow.Reason() == "" || f.hub.Kicked() != 1 {
		t.Fatalf("reason %q, kicked %d", slow.Reason(), f.hub.Kicked())
	}
	select {
	case <-fast.Done():
		t.Fatalf("the fast connection was ended: %s", fast.Reason())
	default:
	}
}

// When the feed's connection drops, the hub resubscribes and asks every
// connection to catch up from its stream: entries published in between
// are not lost.
func TestFeedReconnectAsksConnectionsToCatchUp(t *testing.T) {
	if redistest.Embedded() {
		t.Skip("the embedded Redis cannot kill a client (CLIENT KILL)")
	}
	f := newFixture(t, 64)
	ctx := context.Background()
	c, err := f.hub.Connect("ana", true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f.toggle(1)
	first := next(t, c)

	// The feed's connection may be on any node of a cluster: kill it on each.
	kill := func(ctx context.Context, n redis.UniversalClient) error {
		return n.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err()
	}
	killer := redistest.Client(t)
	if cc, ok := killer.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			if err := kill(ctx, n); err != nil && !strings.Contains(err.Error(), "No such client") {
				return err
			}
			return nil
		})
	} else {
		err = kill(ctx, killer)
	}
	if err != nil {
		t.Fatal(err)
	}
	f.toggle(3) // some of these may be published while the feed is down
	for {
		m := next(t, c)
		if streams.IsResync(m) {
			break
		}
	}
	missed, lost, err := c.History(ctx, first.ID, 100)
	if err != nil || lost || len(missed) != 3 {
		t.Fatalf("history after the first entry: %d entries, lost %v, %v", len(missed), lost, err)
	}
}

// One agent's connections are bounded: the oldest gives way to a new one,
// with the reason; the others stay.
func TestConnectionsPerAgentAreBounded(t *testing.T) {
	f := newFixture(t, 64, func(o *streams.Options) { o.PerAgent = 2 })
	var conns []*streams.Conn
	for range 4 {
		c, err := f.hub.Connect("ana", true)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// The fourth ends the second, not the first again (still in the set
	// until its writer closes it).
	for _, old := range conns[:2] {
		select {
		case <-old.Done():
			if !strings.Contains(old.Reason(), "too many streams") {
				t.Fatalf("reason %q", old.Reason())
			}
		default:
			t.Fatal("an older connection was not ended")
		}
	}
	for _, c := range conns[2:] {
		if c.Reason() != "" {
			t.Fatalf("a newer connection was ended: %s", c.Reason())
		}
	}
}
