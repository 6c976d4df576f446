package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/queues"
)

// bench measures routing decisions on REDIS_URL (or the embedded Redis) in a
// workspace of its own, removed afterwards: a contact arriving and being
// offered to the best of the agents, and an agent freeing capacity and being
// offered the most urgent of the waiting contacts; then the Redis CPU of
// whole contact lives.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("bench", stderr)
	path := fs.String("config", "", "configuration file (default: $SWITCHBOARD_CONFIG, else the built-in example)")
	agents := fs.Int("agents", 1000, "agents serving the queue")
	waiting := fs.Int("waiting", 10000, "calls waiting in the queue")
	n := fs.Int("n", 2000, "decisions to time of each kind")
	lives := fs.Int("lives", 2000, "contact lives (create, offer, accept, complete) whose Redis CPU to measure, 0 for none")
	history := fs.Int("history", 0, "instead: the Redis memory of N finished contacts without and with retention, "+
		"and with DATABASE_URL the archive's write rate")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	if *history > 0 {
		_, rdb, closeRedis, err := openRedis(*path, stderr)
		if err != nil {
			return err
		}
		defer closeRedis()
		return benchHistory(ctx, rdb, *history, os.Getenv("DATABASE_URL"), stdout)
	}
	if *agents < 1 || *waiting < 0 || *n < 1 || *lives < 0 {
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
	if *lives > 0 {
		// A contact's life: a chat arrives and is offered, accepted,
		// completed. Redis's own count of script time (INFO commandstats:
		// EVALSHA and FCALL), divided by the contacts: on a Redis nobody
		// else uses, that is the routing engine's CPU per contact.
		before, calls0, ok := scriptTime(ctx, rdb)
		for i := range *lives {
			now = now.Add(time.Millisecond)
			cr, err := store.CreateTask(ctx, now, task(fmt.Sprintf("l%07d", i), "chat"))
			if err != nil {
				return err
			}
			t, err := store.GetTask(ctx, cr.TaskID)
			if err != nil || t.Offer == "" {
				return fmt.Errorf("contact %d not offered: %v", i, err)
			}
			if _, err := store.AcceptOffer(ctx, now, t.Offer, "", false); err != nil {
				return err
			}
			if _, err := store.CompleteTask(ctx, now, cr.TaskID, "", "bench"); err != nil {
				return err
			}
		}
		after, calls1, _ := scriptTime(ctx, rdb)
		life := map[string]any{"contacts": *lives}
		if ok {
			life["redis_script_us_per_contact"] = fmt.Sprintf("%.1f", (after-before)/float64(*lives))
			life["scripts_per_contact"] = fmt.Sprintf("%.2f", float64(calls1-calls0)/float64(*lives))
		} else {
			life["redis_script_us_per_contact"] = "not reported by this Redis (INFO commandstats)"
		}
		report["contact_life"] = life
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

// scriptTime is the script time (µs) and calls Redis has counted (INFO
// commandstats of EVALSHA, EVAL and FCALL), summed over the nodes of a
// Cluster; ok is false where the server does not report it.
func scriptTime(ctx context.Context, rdb redis.UniversalClient) (usec float64, calls int64, ok bool) {
	read := func(info string) {
		for _, line := range strings.Split(info, "\n") {
			name, rest, found := strings.Cut(strings.TrimSpace(line), ":")
			if !found || (name != "cmdstat_evalsha" && name != "cmdstat_eval" && name != "cmdstat_fcall") {
				continue
			}
			for _, kv := range strings.Split(rest, ",") {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "usec":
					f, _ := strconv.ParseFloat(v, 64)
					usec, ok = usec+f, true
				case "calls":
					n, _ := strconv.ParseInt(v, 10, 64)
					calls += n
				}
			}
		}
	}
	if cl, isCluster := rdb.(*redis.ClusterClient); isCluster {
		_ = cl.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			read(c.Info(ctx, "commandstats").Val())
			return nil
		})
		return usec, calls, ok
	}
	read(rdb.Info(ctx, "commandstats").Val())
	return usec, calls, ok
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
