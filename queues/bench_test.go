package queues_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
	"switchboard/queues"
)

// roundTrips counts the commands a client sends (a pipeline counts once).
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// benchCenter is one workspace with `agents` agents serving queue "q" (and two
// more queues, so each state change refreshes several sets) and `waiting`
// voice tasks waiting in "q" behind calls that hold every agent's voice line.
type benchCenter struct {
	rdb     redis.UniversalClient
	store   *queues.Store
	trips   *roundTrips
	now     time.Time
	agents  int
	waiting int
	cycler  string // the agent the route-on-free benchmark cycles
	offer   string // its current offer
}

var (
	centersMu sync.Mutex
	centers   = map[string]*benchCenter{}
)

func center(b *testing.B, waiting, agents int) *benchCenter {
	centersMu.Lock()
	defer centersMu.Unlock()
	name := fmt.Sprintf("bench-%d-%d", waiting, agents)
	if c := centers[name]; c != nil {
		return c
	}
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Addr(), PoolSize: 32})
	trips := &roundTrips{}
	rdb.AddHook(trips)
	store := queues.New(rdb, name, queues.Settings{MaxMissedOffers: 3, ReofferDelay: time.Millisecond, AgentStreamLength: 100, EventsLength: 10000, TimelineInOffer: 3})
	c := &benchCenter{rdb: rdb, store: store, trips: trips, now: t0, agents: agents, waiting: waiting}
	ctx := context.Background()
	elig := []queues.Eligibility{
		{Queue: "q", Proficiency: 3, Strategy: "longest-idle"},
		{Queue: "q2", Proficiency: 3, Strategy: "most-proficient"},
		{Queue: "q3", Proficiency: 3, Strategy: "least-occupied"},
	}
	caps := map[string]int{"voice": 1, "chat": 1 << 30, "email": 0}
	parallel(agents, func(i int) error {
		id := fmt.Sprintf("a%06d", i)
		if _, _, err := store.UpsertAgent(ctx, c.now, queues.AgentSpec{ID: id, Profile: []byte(`{}`), Queues: elig, Capacity: caps, VoiceBlocks: []string{}}); err != nil {
			return err
		}
		_, err := store.SetPresence(ctx, c.now, id, queues.Available, "")
		return err
	})
	// One call per agent takes every voice line; then `waiting` calls wait.
	parallel(agents+waiting, func(i int) error {
		_, err := store.CreateTask(ctx, c.now, newTask(fmt.Sprintf("v%07d", i), "voice", i%5))
		return err
	})
	c.cycler = "a000000"
	c.offer = c.voiceOffer(b)
	stats, _ := store.Figures().QueueStats(ctx, []string{"q"}, []string{"voice"})
	if stats[0].Waiting != int64(waiting) {
		b.Fatalf("setup: %d voice tasks waiting, want %d", stats[0].Waiting, waiting)
	}
	centers[name] = c
	return c
}

func newTask(id, channel string, priority int) queues.NewTask {
	return queues.NewTask{ID: id, Channel: channel, Queue: "q", Priority: priority, DueAt: t0.Add(20 * time.Second),
		OfferTimeout: time.Hour, WrapUp: 0, Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`)}
}

func parallel(n int, f func(i int) error) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := f(i); err != nil {
					panic(err)
				}
			}
		})
	}
	wg.Wait()
}

var grid = []struct{ waiting, agents int }{
	{10, 10}, {10, 1000}, {10, 10000},
	{1000, 10}, {1000, 1000}, {1000, 10000},
	{100000, 10}, {100000, 1000}, {100000, 10000},
}

// BenchmarkRouteOnArrival: a chat arrives and is offered to the best of the
// available agents of its queue, while `waiting` calls wait in the same queue.
func BenchmarkRouteOnArrival(b *testing.B) {
	for _, g := range grid {
		b.Run(fmt.Sprintf("waiting=%d/agents=%d", g.waiting, g.agents), func(b *testing.B) {
			c := center(b, g.waiting, g.agents)
			ctx := context.Background()
			start, server := c.trips.n.Load(), c.scriptTime(b)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				c.now = c.now.Add(time.Millisecond)
				cr, err := c.store.CreateTask(ctx, c.now, newTask(fmt.Sprintf("c%d-%d", i, c.now.UnixMilli()), "chat", 0))
				if err != nil || cr.Agent == "" {
					b.Fatalf("arrival: %+v, %v", cr, err)
				}
			}
			b.ReportMetric(float64(c.trips.n.Load()-start)/float64(b.N), "roundtrips/op")
			b.ReportMetric(float64(c.scriptTime(b)-server)/float64(b.N), "redis-µs/op")
		})
	}
}

// BenchmarkRouteOnFree: an agent frees its voice line (it rejects its call
// offer) and is offered the most urgent of the `waiting` calls of its queue.
func BenchmarkRouteOnFree(b *testing.B) {
	for _, g := range grid {
		b.Run(fmt.Sprintf("waiting=%d/agents=%d", g.waiting, g.agents), func(b *testing.B) {
			c := center(b, g.waiting, g.agents)
			ctx := context.Background()
			start, server := c.trips.n.Load(), c.scriptTime(b)
			b.ResetTimer()
			for b.Loop() {
				c.now = c.now.Add(time.Second) // past the re-offer delay
				if err := c.store.RejectOffer(ctx, c.now, c.offer, c.cycler); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				before := c.trips.n.Load()
				c.offer = c.voiceOffer(b)
				start += c.trips.n.Load() - before // reading the new offer is not part of the decision
				b.StartTimer()
			}
			b.ReportMetric(float64(c.trips.n.Load()-start)/float64(b.N), "roundtrips/op")
			b.ReportMetric(float64(c.scriptTime(b)-server)/float64(b.N), "redis-µs/op")
		})
	}
}

// voiceOffer returns the open offer of the cycling agent's call (it may also
// hold chats from the arrival benchmark).
func (c *benchCenter) voiceOffer(b *testing.B) string {
	ctx := context.Background()
	st, err := c.store.GetAgent(ctx, c.cycler)
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range st.Tasks {
		if id[0] == 'v' {
			tk, err := c.store.GetTask(ctx, id)
			if err != nil || tk.State != queues.Reserved {
				b.Fatalf("call %s: %+v %v", id, tk, err)
			}
			return tk.Offer
		}
	}
	b.Fatalf("agent %s holds no call: %v", c.cycler, st.Tasks)
	return ""
}

// scriptTime is the total time Redis has spent running scripts (EVALSHA and
// EVAL), in microseconds, from INFO commandstats.
func (c *benchCenter) scriptTime(b *testing.B) int64 {
	info, err := c.rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, line := range strings.Split(info, "\n") {
		if !strings.HasPrefix(line, "cmdstat_evalsha:") && !strings.HasPrefix(line, "cmdstat_eval:") {
			continue
		}
		for _, kv := range strings.Split(strings.TrimSpace(line[strings.Index(line, ":")+1:]), ",") {
			if v, ok := strings.CutPrefix(kv, "usec="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				total += n
			}
		}
	}
	return total
}
