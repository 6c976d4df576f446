// Package streams is each replica's hub of agent event streams. One Pub/Sub
// subscription to the agent feed brings every entry appended to any agent's
// stream; the hub fans it out in process to the desktops connected to this
// replica. A connection costs a goroutine and a small buffer, never a Redis
// connection: the agent's Redis stream (its history) is read only to catch a
// connection up, through a bounded number of reads at a time.
package streams

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/clock"
	"switchboard/queues"
)

// Options configure a Hub.
type Options struct {
	// Store reads agent streams and follows the feed. Give it a Redis client
	// of its own, so that catching desktops up never waits behind requests
	// (or requests behind it).
	Store *queues.Store
	Clock clock.Clock
	Log   *slog.Logger
	// Buffer is how many events a connection may fall behind before it is
	// disconnected (it resumes from its last event id). Default 64.
	Buffer int
	// Grace is how long an agent may be without any connection, on any
	// replica, before it goes away with reason "disconnected" and its open
	// offers go to others. Zero: presence does not follow the desktop.
	Grace time.Duration
	// Reads bounds the history reads in flight at once (default 8).
	Reads int
	// PerAgent bounds one agent's connections on this replica (default 8):
	// beyond it the oldest is ended, so a desktop that reconnects in a loop
	// cannot pile up sockets.
	PerAgent int
	// Max bounds the connections on this replica (default 50,000).
	Max int
	// Replica names this replica in the desktop leases (a random suffix is
	// added).
	Replica string
}

// ErrFull refuses a connection when the replica holds Options.Max.
var ErrFull = errors.New("this replica holds as many agent streams as it is configured for")

// Hub fans the agent feed out to this replica's connections.
type Hub struct {
	o     Options
	reads chan struct{}

	mu    sync.Mutex
	conns map[string]map[*Conn]struct{}
	// desktops counts, per agent, the connections made by the agent itself
	// (its desktop): only these keep the agent's presence.
	desktops map[string]int
	// dirty holds the agents whose first desktop here opened or whose last
	// closed since the last flush, which tells Redis in one batch.
	dirty map[string]struct{}
	seq   uint64
	// flushing keeps flushes in order: a close must not land after the
	// reopening that followed it.
	flushing sync.Mutex

	subscribed atomic.Bool
	ready      chan struct{} // closed at the first subscription
	readyOnce  sync.Once
	count      atomic.Int64
	kicked     atomic.Int64
}

// New returns a Hub; Run must be running for connections to get live events.
func New(o Options) *Hub {
	if o.Buffer <= 0 {
		o.Buffer = 64
	}
	o.Reads = cmp.Or(max(o.Reads, 0), 8)
	o.PerAgent = cmp.Or(max(o.PerAgent, 0), 8)
	o.Max = cmp.Or(max(o.Max, 0), 50000)
	// A random suffix: two processes never share a lease, even with the
	// same host name and pid (containers).
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	o.Replica = cmp.Or(o.Replica, "replica") + "-" + hex.EncodeToString(b)
	return &Hub{o: o, reads: make(chan struct{}, o.Reads), ready: make(chan struct{}),
		conns: map[string]map[*Conn]struct{}{}, desktops: map[string]int{}, dirty: map[string]struct{}{}}
}

// Connections is the number of connections open on this replica.
func (h *Hub) Connections() int64 { return h.count.Load() }

// Kicked counts connections disconnected for falling behind.
func (h *Hub) Kicked() int64 { return h.kicked.Load() }

// Subscribed reports whether the feed subscription is live.
func (h *Hub) Subscribed() bool { return h.subscribed.Load() }

// Ready is closed once the hub has followed the feed for the first time.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// resync tells a connection that entries may have been missed (the feed was
// resubscribed): it reads its stream from its last delivered id.
var resync = &queues.Message{}

// Conn is one connection to an agent's stream.
type Conn struct {
	hub     *Hub
	agent   string
	desktop bool
	seq     uint64 // connection order, to end the oldest
	c       chan *queues.Message
	done    chan struct{}
	once    sync.Once
	// reason says why the hub ended the connection.
	reason string
}

// Connect registers a connection for agent. From now on every entry
// published for the agent is queued on it (catch up from the stream before
// reading them: see Conn.History). desktop says the agent itself connected
// (not a supervisor watching): while it stays, the agent's presence does not
// time out (from the next flush, within a second). Close the connection when
// the client leaves. Connecting costs no Redis call of its own.
func (h *Hub) Connect(agent string, desktop bool) (*Conn, error) {
	if h.count.Load() >= int64(h.o.Max) {
		return nil, ErrFull
	}
	c := &Conn{hub: h, agent: agent, desktop: desktop, c: make(chan *queues.Message, h.o.Buffer), done: make(chan struct{})}
	h.mu.Lock()
	h.seq++
	c.seq = h.seq
	set := h.conns[agent]
	if set == nil {
		set = map[*Conn]struct{}{}
		h.conns[agent] = set
	}
	// Beyond the limit the oldest still open gives way (those already ended
	// leave the set when their writer closes them).
	var open []*Conn
	for o := range set {
		select {
		case <-o.done:
		default:
			open = append(open, o)
		}
	}
	if len(open) >= h.o.PerAgent {
		oldest := slices.MinFunc(open, func(a, b *Conn) int { return cmp.Compare(a.seq, b.seq) })
		oldest.end("replaced: too many streams open for this agent")
	}
	set[c] = struct{}{}
	if desktop {
		if h.desktops[agent]++; h.desktops[agent] == 1 && h.o.Grace > 0 {
			h.dirty[agent] = struct{}{}
		}
	}
	h.mu.Unlock()
	h.count.Add(1)
	return c, nil
}

// Close unregisters the connection. When it was the agent's last desktop
// here, the agent's grace period starts at the next flush.
func (c *Conn) Close() {
	h := c.hub
	h.mu.Lock()
	if set, ok := h.conns[c.agent]; ok {
		if _, mine := set[c]; mine {
			delete(set, c)
			h.count.Add(-1)
			if len(set) == 0 {
				delete(h.conns, c.agent)
			}
			if c.desktop {
				if h.desktops[c.agent]--; h.desktops[c.agent] <= 0 {
					delete(h.desktops, c.agent)
					if h.o.Grace > 0 {
						h.dirty[c.agent] = struct{}{}
					}
				}
			}
		}
	}
	h.mu.Unlock()
	c.end("")
}

// End ends the connection (reason "" when the client left).
func (c *Conn) End(reason string) { c.end(reason) }

// AgentID is the connection's agent.
func (c *Conn) AgentID() string { return c.agent }

func (c *Conn) end(reason string) {
	c.once.Do(func() {
		c.reason = reason
		close(c.done)
	})
}

// Events delivers live entries, and resync markers (see IsResync).
func (c *Conn) Events() <-chan *queues.Message { return c.c }

// Done is closed when the hub ends the connection; Reason says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Reason says why the hub ended the connection ("" if it did not).
func (c *Conn) Reason() string {
	select {
	case <-c.done:
		return c.reason
	default:
		return ""
	}
}

// IsResync reports whether m asks the connection to catch up from its stream.
func IsResync(m *queues.Message) bool { return m == resync }

// read runs f with a read slot: however many connections catch up at once,
// the hub's Redis client serves only a bounded number of them, and the rest
// wait here rather than time out in the client's pool.
func (c *Conn) read(ctx context.Context, f func(st *queues.Store) error) error {
	return c.hub.read(ctx, f)
}

func (h *Hub) read(ctx context.Context, f func(st *queues.Store) error) error {
	select {
	case h.reads <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-h.reads }()
	return f(h.o.Store)
}

// Agent reads an agent's state, as connections do (check that an agent
// exists before connecting it).
func (h *Hub) Agent(ctx context.Context, id string) (a queues.AgentState, err error) {
	err = h.read(ctx, func(st *queues.Store) error {
		a, err = st.GetAgent(ctx, id)
		return err
	})
	return a, err
}

// Agent reads the connection's agent's state.
func (c *Conn) Agent(ctx context.Context) (queues.AgentState, error) {
	return c.hub.Agent(ctx, c.agent)
}

// Tasks reads the tasks of ids that still exist.
func (c *Conn) Tasks(ctx context.Context, ids []string) ([]queues.Task, error) {
	out := make([]queues.Task, 0, len(ids))
	err := c.read(ctx, func(st *queues.Store) error {
		for _, id := range ids {
			t, err := st.GetTask(ctx, id)
			if errors.Is(err, queues.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// History reads the agent's stream after id (see queues.AgentStreams.AgentHistory).
func (c *Conn) History(ctx context.Context, after string, count int64) (msgs []queues.Message, lost bool, err error) {
	err = c.read(ctx, func(st *queues.Store) error {
		msgs, lost, err = st.Streams().AgentHistory(ctx, c.agent, after, count)
		return err
	})
	return msgs, lost, err
}

// Tail is the id of the agent's newest entry ("0" for none).
func (c *Conn) Tail(ctx context.Context) (id string, err error) {
	err = c.read(ctx, func(st *queues.Store) error {
		id, err = st.Streams().AgentStreamTail(ctx, c.agent)
		return err
	})
	return id, err
}

// deliver queues m on every local connection of agent. A connection whose
// buffer is full is too far behind: it is ended, never waited for.
func (h *Hub) deliver(agent string, m *queues.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns[agent] {
		if m.Type == deleted {
			c.end("the agent was deleted")
			continue
		}
		h.offer(c, m)
	}
}

// deleted is published when an agent is deleted (its stream is gone).
const deleted = "agent.deleted"

func (h *Hub) offer(c *Conn, m *queues.Message) {
	select {
	case c.c <- m:
	default:
		if c.Reason() == "" {
			h.kicked.Add(1)
		}
		c.end("too far behind: resume with Last-Event-ID")
	}
}

// resyncAll asks every local connection to catch up.
func (h *Hub) resyncAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.conns {
		for c := range set {
			h.offer(c, resync)
		}
	}
}

// Run follows the feed until ctx ends, resubscribing after failures, and
// keeps the agents' presence leases: connected agents are renewed well within
// the grace period, agents whose last connection closed get their grace
// period started.
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { h.follow(ctx) })
	if h.o.Grace > 0 {
		wg.Go(func() { h.keepLeases(ctx) })
	}
	wg.Wait()
	return nil
}

func (h *Hub) follow(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := h.o.Store.Streams().ListenAgents(ctx, func() {
			h.subscribed.Store(true)
			h.readyOnce.Do(func() { close(h.ready) })
			h.resyncAll()
		}, func(agent string, m queues.Message) {
			h.deliver(agent, &m)
		})
		h.subscribed.Store(false)
		if ctx.Err() != nil {
			return
		}
		h.o.Log.Error("agent feed", "err", err)
		if time.Since(start) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// keepLeases flushes opened and closed desktops every second (and once more
// when ctx ends) and renews this replica's lease every third of the grace period.
func (h *Hub) keepLeases(ctx context.Context) {
	flush := time.NewTicker(time.Second)
	defer flush.Stop()
	renew := time.NewTicker(max(h.o.Grace/3, time.Second))
	defer renew.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := h.Flush(fctx); err != nil {
				h.o.Log.Error("agent stream leases", "err", err)
			}
			return
		case <-flush.C:
			if err := h.Flush(ctx); err != nil && ctx.Err() == nil {
				h.o.Log.Error("agent stream leases", "err", err)
			}
		case <-renew.C:
			if err := h.Renew(ctx); err != nil && ctx.Err() == nil {
				h.o.Log.Error("agent stream leases", "err", err)
			}
		}
	}
}

// Flush tells Redis, in batches, which agents' desktops opened here (their
// pending disconnects are called off) and which closed for good (their grace
// period starts) since the last flush.
func (h *Hub) Flush(ctx context.Context) error {
	h.flushing.Lock()
	defer h.flushing.Unlock()
	h.mu.Lock()
	var opened, closed []string
	for a := range h.dirty {
		if h.desktops[a] > 0 {
			opened = append(opened, a)
		} else {
			closed = append(closed, a)
		}
	}
	clear(h.dirty)
	h.mu.Unlock()
	const batch = 500
	now := h.o.Clock.Now()
	for chunk := range slices.Chunk(opened, batch) {
		if err := h.o.Store.Streams().OpenDesktops(ctx, now, h.o.Replica, h.o.Grace, chunk); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(closed, batch) {
		if err := h.o.Store.Streams().CloseDesktops(ctx, now, h.o.Replica, h.o.Grace, chunk); err != nil {
			return err
		}
	}
	return nil
}

// Renew extends this replica's lease on its desktops (one call, whatever
// their number) and lets go of the desktops of replicas that stopped.
func (h *Hub) Renew(ctx context.Context) error {
	return h.o.Store.Streams().RenewDesktops(ctx, h.o.Clock.Now(), h.o.Replica, h.o.Grace)
}
