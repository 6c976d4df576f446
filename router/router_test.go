package router_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/internal/redistest"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/workforce"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// The timer loop fires an offer's timeout once the clock passes its deadline.
func TestRunFiresOfferTimeouts(t *testing.T) {
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workspace = redistest.Workspace(t)
	cfg.Routing.TimerPoll = 5 * time.Millisecond
	clk := clock.NewManual(time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC))
	store := queues.New(redistest.Client(t), cfg.Workspace, router.SettingsFrom(cfg))
	rt := router.New(cfg, store, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	if _, _, err := rt.Agents.SaveAgent(ctx, workforce.Agent{ID: "kenji", Name: "Kenji", TimeZone: "Asia/Tokyo",
		Languages: []string{"en"}, Skills: map[string]int{"sales": 5}}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Agents.SetPresence(ctx, "kenji", router.Presence{Presence: queues.Available}); err != nil {
		t.Fatal(err)
	}
	task, created, err := rt.Tasks.CreateTask(ctx, router.TaskRequest{Channel: "voice", Skill: "sales", Language: "en"})
	if err != nil || !created || task.Agent != "kenji" || task.Queue != "sales-en" {
		t.Fatalf("create: %+v %v", task, err)
	}
	if want := clk.Now().Add(20 * time.Second); !task.DueAt.Equal(want) {
		t.Fatalf("voice first response due %v, want %v", task.DueAt, want)
	}
	// Wait on the agent feed for the loop's work, not on a timer.
	feedCtx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	subscribed, entries := make(chan struct{}, 1), make(chan queues.Message, 10)
	go func() {
		_ = store.Streams().ListenAgents(feedCtx, func() { subscribed <- struct{}{} }, func(agent string, m queues.Message) {
			if agent == "kenji" {
				entries <- m
			}
		})
	}()
	<-subscribed

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()
	clk.Advance(15 * time.Second) // the voice offer timeout

	select {
	case m := <-entries:
		if m.Type != "offer.rescinded" || !strings.Contains(m.Data, `"reason":"timeout"`) {
			t.Fatalf("stream after the deadline: %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no entry on kenji's stream within 10s of the deadline")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, _ := rt.Tasks.Task(ctx, task.ID)
	a, _ := rt.Agents.Agent(ctx, "kenji")
	if got.State != queues.Queued || a.State.Missed != 1 || a.State.Load["voice"] != 0 {
		t.Fatalf("after timeout: task %s, agent %+v", got.State, a.State)
	}
}

func TestCreateTaskResolvesQueue(t *testing.T) {
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workspace = redistest.Workspace(t)
	clk := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	rt := router.New(cfg, queues.New(redistest.Client(t), cfg.Workspace, router.SettingsFrom(cfg)), clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cases := []struct {
		req   router.TaskRequest
		queue string
		field string
	}{
		{router.TaskRequest{Channel: "email", Skill: "billing", Language: "PT"}, "billing-pt", ""},
		{router.TaskRequest{Channel: "email", Queue: "sales-fr"}, "sales-fr", ""},
		{router.TaskRequest{Channel: "email", Queue: "sales-fr", Skill: "sales"}, "", "queue"},
		{router.TaskRequest{Channel: "email", Skill: "sales"}, "", "language"},
		{router.TaskRequest{Channel: "email", Skill: "cooking", Language: "en"}, "", "skill"},
		{router.TaskRequest{Channel: "email"}, "", "queue"},
	}
	for _, c := range cases {
		task, _, err := rt.Tasks.CreateTask(context.Background(), c.req)
		if c.field == "" {
			if err != nil || task.Queue != c.queue {
				t.Errorf("%+v: queue %q, %v", c.req, task.Queue, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.field+":") {
			t.Errorf("%+v: error %v, want one on %s", c.req, err, c.field)
		}
	}
}
