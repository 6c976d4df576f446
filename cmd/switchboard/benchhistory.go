package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/archive"
	"switchboard/clock"
	"switchboard/queues"
)

// benchHistory measures what finished contacts cost Redis: n contacts (each
// a new customer with a phone identity and a message, assigned, completed)
// kept for ever against the same with a retention of 7 days, their clock
// run far enough back that each has passed its retention; then, with
// dbURL, the archive's write throughput over n contacts.
func benchHistory(ctx context.Context, rdb redis.UniversalClient, n int, dbURL string, stdout io.Writer) error {
	report := map[string]any{"contacts": n}
	const retention = 7 * 24 * time.Hour
	type mode struct {
		name      string
		retention time.Duration
		archived  bool
	}
	modes := []mode{{"without_retention", 0, false}, {"with_retention_7d", retention, false}}
	if dbURL != "" {
		modes = append(modes, mode{"archived_then_released", retention, true})
	}
	for _, m := range modes {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		ws := "bench-" + hex.EncodeToString(b)
		store := queues.New(rdb, ws, queues.Settings{MaxMissedOffers: 3, ReofferDelay: time.Second,
			AgentStreamLength: 100, EventsLength: 10 * n, Retention: m.retention, Archived: m.archived})
		out, err := func() (map[string]any, error) {
			defer func() { _ = store.DropWorkspace(context.WithoutCancel(ctx)) }()
			return historyRun(ctx, rdb, store, ws, n, dbURL, m.archived)
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		report[m.name] = out
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

func historyRun(ctx context.Context, rdb redis.UniversalClient, store *queues.Store, ws string, n int, dbURL string,
	archived bool) (map[string]any, error) {
	// Eight days ago, a millisecond a contact: every contact ended over a
	// retention time before the server's clock.
	now := time.Now().Add(-8*24*time.Hour - time.Duration(n)*time.Millisecond)
	for i := range 50 {
		id := fmt.Sprintf("a%03d", i)
		if _, _, err := store.UpsertAgent(ctx, now, queues.AgentSpec{ID: id, Profile: []byte(`{}`),
			Queues:   []queues.Eligibility{{Queue: "q", Proficiency: 3, Strategy: "longest-idle"}},
			Capacity: map[string]int{"whatsapp": 1 << 20}, VoiceBlocks: []string{}, AutoAnswer: true}); err != nil {
			return nil, err
		}
		if _, err := store.SetPresence(ctx, now, id, queues.Available, ""); err != nil {
			return nil, err
		}
	}
	before, err := usedMemory(ctx, rdb)
	if err != nil {
		return nil, err
	}
	const batch = 200
	for start := 0; start < n; start += batch {
		p := store.Pipeline()
		created := make([]queues.Created, min(batch, n-start))
		errs := make([]error, len(created))
		for j := range created {
			i := start + j
			now = now.Add(time.Millisecond)
			msg := fmt.Sprintf(`{"id":"SM%08d","direction":"in","at":%d,"text":"Hola, mi pedido %d no ha llegado"}`, i, now.UnixMilli(), i)
			p.CreateTask(now, queues.NewTask{ID: fmt.Sprintf("t%08d", i), IdempotencyKey: fmt.Sprintf("twilio:SM%08d", i),
				IdempotencyTTL: 24 * time.Hour, Channel: "whatsapp", Queue: "q", DueAt: now.Add(time.Hour),
				OfferTimeout: time.Minute, Customer: json.RawMessage(`{"name":"Lucía"}`),
				Attributes:   json.RawMessage(`{"source":"twilio","from":"whatsapp:+34600111222","to":"whatsapp:+14155238886"}`),
				IdentityKeys: []string{fmt.Sprintf("phone:+3460%07d", i)}, NewCustomerID: fmt.Sprintf("cus%08d", i),
				CustomerName: "Lucía", Message: json.RawMessage(msg), Join: true}, &created[j], &errs[j])
		}
		if err := p.Exec(ctx); err != nil {
			return nil, err
		}
		p = store.Pipeline()
		done := make([]queues.Completion, len(created))
		for j, c := range created {
			if errs[j] != nil {
				return nil, errs[j]
			}
			if c.Agent == "" {
				return nil, fmt.Errorf("contact %s not assigned", c.TaskID)
			}
			p.CompleteTask(now, c.TaskID, "", "bench", &done[j], &errs[j])
		}
		if err := p.Exec(ctx); err != nil {
			return nil, err
		}
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	out := map[string]any{}
	if archived {
		arch, err := archive.Open(ctx, dbURL, ws)
		if err != nil {
			return nil, err
		}
		defer arch.Close()
		if _, err := arch.Migrate(ctx); err != nil {
			return nil, err
		}
		c := &archive.Consumer{Store: store, Archive: arch, Clock: clock.Real{}, Log: discardLog(), Name: "bench"}
		start := time.Now()
		added, err := c.Drain(ctx)
		if err != nil {
			return nil, err
		}
		took := time.Since(start)
		out["archived"] = added
		out["archive_seconds"] = fmt.Sprintf("%.2f", took.Seconds())
		out["archive_contacts_per_second"] = fmt.Sprintf("%.0f", float64(added)/took.Seconds())
	}
	if _, err := store.TrimIndexes(ctx, now.Add(8*24*time.Hour), 7*24*time.Hour, []string{"q"}); err != nil {
		return nil, err
	}
	// The events stream is a buffer its consumer groups empty (Outbox.Retain):
	// left out of the figure.
	events := queues.Prefix(ws) + "events"
	evBytes, _ := rdb.MemoryUsage(ctx, events).Result()
	after, err := usedMemory(ctx, rdb)
	if err != nil {
		return nil, err
	}
	keys, kinds, _ := countKeys(ctx, rdb, queues.Prefix(ws))
	grew := after - before - evBytes
	out["redis_bytes"] = grew
	out["redis_bytes_per_contact"] = fmt.Sprintf("%.0f", float64(grew)/float64(n))
	out["keys_left"] = keys
	out["keys_left_by_kind"] = kinds
	return out, nil
}

func usedMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO memory has no used_memory")
}

// countKeys counts a workspace's keys, and by kind (the first part after
// the prefix).
func countKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) (int, map[string]int, error) {
	n, kinds := 0, map[string]int{}
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
		kind, _, _ := strings.Cut(strings.TrimPrefix(iter.Val(), prefix), ":")
		kinds[kind]++
	}
	return n, kinds, iter.Err()
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
