package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"switchboard/queues"
)

// bench measures routing decisions on REDIS_URL (or the embedded Redis) in a
// workspace of its own, removed afterwards: a contact arriving and being
// offered to the best of the agents, and an agent freeing capacity and being
// offered the most urgent of the waiting contacts.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("bench", stderr)
	path := fs.String("config", "", "configuration file (default: $SWITCHBOARD_CONFIG, else the built-in example)")
	agents := fs.Int("agents", 1000, "agents serving the queue")
	waiting := fs.Int("waiting", 10000, "calls waiting in the queue")
	n := fs.Int("n", 2000, "decisions to time of each kind")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	if *agents < 1 || *waiting < 0 || *n < 1 {
		fmt.Fprintln(stderr, "bench: -agents and -n must be positive, -waiting not negative")
		return errUsage
	}
	_, rdb, closeRedis, err := openRedis(*path, stderr)
	if err != nil {
		return err
	}
	defer closeRedis()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	ws := "bench-" + hex.EncodeToString(b)
	store := queues.New(rdb, ws, queues.Settings{MaxMissedOffers: 3, ReofferDelay: time.Millisecond,
		AgentStreamLength: 100, EventsLength: 100000, TimelineInOffer: 3})
	defer func() { _ = store.DropWorkspace(context.WithoutCancel(ctx)) }()

	now := time.Now()
	elig := []queues.Eligibility{{Queue: "q", Proficiency: 3, Strategy: "longest-idle"}}
	caps := map[string]int{"voice": 1, "chat": 1 << 30}
	for i := range *agents {
		id := fmt.Sprintf("a%06d", i)
		if _, _, err := store.UpsertAgent(ctx, now, queues.AgentSpec{ID: id, Profile: []byte(`{}`), Queues: elig, Capacity: caps, VoiceBlocks: []string{}}); err != nil {
			return err
		}
		if _, err := store.SetPresence(ctx, now, id, queues.Available, ""); err != nil {
			return err
		}
	}
	task := func(id, ch string) queues.NewTask {
		return queues.NewTask{ID: id, Channel: ch, Queue: "q", DueAt: now.Add(20 * time.Second), OfferTimeout: time.Hour,
			Customer: []byte(`{}`), Attributes: []byte(`{}`)}
	}
	// Every voice line busy, then the waiting calls.
	for i := range *agents + *waiting {
		if _, err := store.CreateTask(ctx, now, task(fmt.Sprintf("v%07d", i), "voice")); err != nil {
			return err
		}
	}
	timed := func(f func(i int) error) ([]time.Duration, error) {
		out := make([]time.Duration, *n)
		for i := range *n {
			start := time.Now()
			if err := f(i); err != nil {
				return nil, err
			}
			out[i] = time.Since(start)
		}
		return out, nil
	}
	arrival, err := timed(func(i int) error {
		now = now.Add(time.Millisecond)
		cr, err := store.CreateTask(ctx, now, task(fmt.Sprintf("c%07d", i), "chat"))
		if err == nil && cr.Agent == "" {
			err = fmt.Errorf("chat %d not offered", i)
		}
		return err
	})
	if err != nil {
		return err
	}
	// An agent with a call offered rejects it, freeing its line: it is
	// offered the most urgent waiting call.
	st, err := store.GetAgent(ctx, "a000000")
	if err != nil {
		return err
	}
	offer := ""
	for _, id := range st.Tasks {
		if t, err := store.GetTask(ctx, id); err == nil && t.Channel == "voice" {
			offer = t.Offer
		}
	}
	free, err := timed(func(int) error {
		now = now.Add(time.Second)
		if err := store.RejectOffer(ctx, now, offer, "a000000"); err != nil {
			return err
		}
		a, err := store.GetAgent(ctx, "a000000")
		if err != nil {
			return err
		}
		for _, id := range a.Tasks {
			if t, err := store.GetTask(ctx, id); err == nil && t.Channel == "voice" {
				offer = t.Offer
				return nil
			}
		}
		return fmt.Errorf("no call offered after freeing capacity")
	})
	if err != nil {
		return err
	}
	report := map[string]any{"agents": *agents, "waiting": *waiting, "decisions": *n,
		"route_on_arrival": summary(arrival), "route_on_free_with_reads": summary(free)}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

func summary(ds []time.Duration) map[string]string {
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	pct := func(p float64) string { return sorted[int(p*float64(len(sorted)-1))].String() }
	return map[string]string{"mean": (total / time.Duration(len(ds))).String(), "p50": pct(0.5), "p99": pct(0.99), "max": sorted[len(sorted)-1].String()}
}
