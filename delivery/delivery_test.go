package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/delivery"
	"switchboard/internal/redistest"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/signature"
	"switchboard/workforce"
)

func TestMain(m *testing.M) { redistest.Main(m) }

const secret = "receiver-secret-0123456789"

// receiver fails the first attempts of every event, then takes it; it checks
// each signature and records what it took, in order.
type receiver struct {
	mu       sync.Mutex
	attempts map[string]int
	took     []delivery.Payload
	badSig   int
	failN    int
	got      chan struct{}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !signature.Verify(secret, body, req.Header.Get(signature.Header), time.Now()) {
		r.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p delivery.Payload
	_ = json.Unmarshal(body, &p)
	r.attempts[p.ID]++
	if r.failN < 0 || r.attempts[p.ID] <= r.failN {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	r.took = append(r.took, p)
	w.WriteHeader(http.StatusNoContent)
	select {
	case r.got <- struct{}{}:
	default:
	}
}

func setup(t *testing.T, failN, maxAttempts int) (*router.App, *delivery.Deliverer, *receiver) {
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workspace = redistest.Workspace(t)
	rec := &receiver{attempts: map[string]int{}, failN: failN, got: make(chan struct{}, 1)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	sub := config.EventWebhook{Name: "crm", URL: srv.URL, Secret: secret, MaxAttempts: maxAttempts,
		Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Timeout: time.Second,
		Events: []string{"task.created", "task.assigned", "task.completed", "task.canceled", "agent.presence"}}
	cfg.EventWebhooks = []config.EventWebhook{sub}
	clk := clock.NewManual(time.Now())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := queues.New(redistest.Client(t), cfg.Workspace, router.SettingsFrom(cfg))
	rt := router.New(cfg, store, clk, log)
	d := &delivery.Deliverer{
		Sub:   sub,
		Store: store, Client: srv.Client(), Clock: clk, Log: log, Metrics: delivery.NewMetrics(prometheus.NewRegistry()),
		Owner: "replica-1", Block: 50 * time.Millisecond,
	}
	if err := d.Subscribe(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rt, d, rec
}

// traffic makes tasks go through their lifecycle and returns the ids, in
// stream order, of the events the subscriber asked for.
func traffic(t *testing.T, rt *router.App, store *queues.Store) []string {
	ctx := context.Background()
	if _, _, err := rt.Agents.SaveAgent(ctx, workforce.Agent{ID: "ana", Name: "Ana", TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"support": 3}}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Agents.SetPresence(ctx, "ana", router.Presence{Presence: queues.Available}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		tk, _, err := rt.Tasks.CreateTask(ctx, router.TaskRequest{Channel: "chat", Queue: "support-en"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			if err := rt.Tasks.Cancel(ctx, tk.ID, "customer left"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := rt.Tasks.Accept(ctx, tk.Offer, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Tasks.Complete(ctx, tk.ID, "", "done"); err != nil {
			t.Fatal(err)
		}
		if err := rt.Tasks.Ready(ctx, tk.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := store.Outbox().Events(ctx, "0", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range evs {
		switch e.Type {
		case "task.created", "task.assigned", "task.completed", "task.canceled", "agent.presence":
			want = append(want, e.ID)
		}
	}
	return want
}

// A receiver that fails the first two attempts of each event gets every event
// at least once, in stream order (so in order per task), signed.
func TestDeliveryRetriesInOrder(t *testing.T) {
	rt, d, rec := setup(t, 2, 8)
	want := traffic(t, rt, d.Store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	deadline := time.After(20 * time.Second)
	for {
		rec.mu.Lock()
		n := len(rec.took)
		rec.mu.Unlock()
		if n >= len(want) {
			break
		}
		select {
		case <-rec.got:
		case <-deadline:
			t.Fatalf("delivered %d of %d events", n, len(want))
		}
	}
	cancel()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.badSig != 0 {
		t.Fatalf("%d deliveries had a bad signature", rec.badSig)
	}
	for i, p := range rec.took {
		if p.ID != want[i] {
			t.Fatalf("delivery %d is event %s, want %s (out of order)", i, p.ID, want[i])
		}
		if rec.attempts[p.ID] != 3 {
			t.Fatalf("event %s taken after %d attempts, want 3", p.ID, rec.attempts[p.ID])
		}
	}
}

// A receiver that always fails gets each event MaxAttempts times; then the
// event goes to the dead-letter list and the next one is tried.
func TestDeliveryDeadLetters(t *testing.T) {
	rt, d, rec := setup(t, -1, 3)
	want := traffic(t, rt, d.Store)
	ctx := context.Background()
	if held, err := d.Store.Outbox().Lease(ctx, d.Clock.Now(), "webhook:crm", d.Owner, time.Minute); err != nil || !held {
		t.Fatalf("lease: %v %v", held, err)
	}
	drainAll(t, d, len(want))
	dead, err := d.Store.Outbox().DeadLetters(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != len(want) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(want))
	}
	for _, id := range want {
		if rec.attempts[id] != 3 {
			t.Fatalf("event %s tried %d times", id, rec.attempts[id])
		}
	}
	// Another replica cannot deliver while the lease is held.
	if held, _ := d.Store.Outbox().Lease(ctx, d.Clock.Now(), "webhook:crm", "replica-2", time.Minute); held {
		t.Fatal("two replicas hold the lease")
	}
}

// Dead letters handed back are delivered before new events once the
// receiver works again; deleting one by event removes only it; a replica
// that stops gives its lease up at once.
func TestDeadLettersReplayAndDelete(t *testing.T) {
	rt, d, rec := setup(t, -1, 2)
	want := traffic(t, rt, d.Store)
	ctx := context.Background()
	out := d.Store.Outbox()
	if held, err := out.Lease(ctx, d.Clock.Now(), "webhook:crm", d.Owner, time.Minute); err != nil || !held {
		t.Fatalf("lease: %v %v", held, err)
	}
	drainAll(t, d, len(want))
	if dead, _ := out.DeadLetters(ctx, "crm"); len(dead) != len(want) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(want))
	}
	// The first is deleted, the rest replayed to a receiver that now works.
	if n, err := rt.Reporting.DeleteDeadLetters(ctx, "crm", want[0]); err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if _, err := rt.Reporting.ReplayDeadLetters(ctx, "nobody", ""); err == nil {
		t.Fatal("replay for an unknown subscriber was accepted")
	}
	n, err := rt.Reporting.ReplayDeadLetters(ctx, "crm", "")
	if err != nil || n != len(want)-1 {
		t.Fatalf("replay: %d %v", n, err)
	}
	rec.mu.Lock()
	rec.failN = 0
	rec.mu.Unlock()
	if _, err := d.Drain(ctx, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	var took []string
	for _, p := range rec.took {
		took = append(took, p.ID)
	}
	rec.mu.Unlock()
	if !slices.Equal(took, want[1:]) {
		t.Fatalf("replayed %v\nwant %v", took, want[1:])
	}
	if dead, _ := out.DeadLetters(ctx, "crm"); len(dead) != 0 {
		t.Fatalf("%d dead letters left", len(dead))
	}

	// Run gives the lease up when it stops.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if held, _ := out.Lease(ctx, d.Clock.Now(), "webhook:crm", "replica-2", time.Minute); !held {
		t.Fatal("the lease was not released on shutdown")
	}
}

// A Redis that came back empty took the subscriber's group with it: the
// deliverer subscribes again and delivers what comes next.
func TestDeliveryResubscribesAfterRedisLostTheStream(t *testing.T) {
	rt, d, rec := setup(t, 0, 3)
	ctx := context.Background()
	if err := redistest.Client(t).Del(ctx, queues.Prefix(rt.Config().Workspace)+"events").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Drain(ctx, 10*time.Millisecond); err != nil {
		t.Fatalf("drain without the group: %v", err)
	}
	want := traffic(t, rt, d.Store)
	drainAll(t, d, len(want))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.took) != len(want) {
		t.Fatalf("delivered %d of %d events after the group was lost", len(rec.took), len(want))
	}
}

// drainAll delivers until want events are acknowledged or none is left.
func drainAll(t *testing.T, d *delivery.Deliverer, want int) int {
	t.Helper()
	total := 0
	for total < want {
		n, err := d.Drain(context.Background(), 10*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	return total
}
