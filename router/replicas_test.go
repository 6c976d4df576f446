package router_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/internal/redistest"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/workforce"
)

// Three router instances share one Redis and one clock, advanced in steps;
// at every step all of them fire due timers at once, and one stops half way.
// Every timer must fire exactly once: one warning and one breach per SLA
// clock, one application per escalation step, one outcome per offer.
func TestTimersFireOnceAcrossReplicas(t *testing.T) {
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workspace = redistest.Workspace(t)
	clk := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var rts []*router.App
	var stores []*queues.Store
	for range 3 {
		st := queues.New(redistest.Client(t), cfg.Workspace, router.SettingsFrom(cfg))
		stores = append(stores, st)
		rts = append(rts, router.New(cfg, st, clk, log))
	}
	ctx := context.Background()
	rt, store := rts[0], stores[0]

	// Two English billing agents who never answer: overflowed calls time out
	// on them until they are set away for missed offers.
	for _, id := range []string{"emma", "noah"} {
		if _, _, err := rt.Agents.SaveAgent(ctx, workforce.Agent{ID: id, Name: id, TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"billing": 3}}); err != nil {
			t.Fatal(err)
		}
		if err := rt.Agents.SetPresence(ctx, id, router.Presence{Presence: queues.Available}); err != nil {
			t.Fatal(err)
		}
	}
	var emails, calls []string
	for i := range 12 {
		got, err := rts[i%3].Contacts.Ingest(ctx, router.Inbound{Source: "mailgate", Channel: "email", EventID: fmt.Sprint("e", i),
			Identity: fmt.Sprintf("email:c%d@example.fr", i), Text: "Bonjour, ma commande n'est jamais arrivée"})
		if err != nil {
			t.Fatal(err)
		}
		emails = append(emails, got.Task.ID)
		got, err = rts[i%3].Contacts.Ingest(ctx, router.Inbound{Source: "twilio", Channel: "voice", EventID: fmt.Sprint("CA", i),
			To: "+34910000000", Identity: fmt.Sprintf("phone:+3460011%04d", i), Region: "ES"})
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, got.Task.ID)
	}

	// Each step: the clock moves, then every running instance fires at once.
	fired := make([]int, 3)
	// Each step the running instances fire at once; on every third step of
	// the first half the instance that stops later fires first, alone, so
	// that it surely does work before it stops (who wins a race is up to
	// the scheduler).
	step := func(d time.Duration, running int, solo bool) {
		clk.Advance(d)
		fire := func(i int) {
			f, err := rts[i].Tasks.FireDue(ctx)
			if err != nil {
				t.Error(err)
			}
			fired[i] += f.Timers
		}
		if solo {
			fire(2)
		}
		var wg sync.WaitGroup
		for i := range running {
			wg.Go(func() { fire(i) })
		}
		wg.Wait()
	}
	for i := range 120 { // 10 minutes in 5 s steps: calls escalate and time out
		running := 3
		if i >= 60 {
			running = 2 // the third instance has stopped
		}
		step(5*time.Second, running, i < 60 && i%3 == 2)
	}
	for range 4 * 24 * 6 { // four days in 10-minute steps: e-mails warn and breach
		step(10*time.Minute, 2, false)
	}
	if due, _ := store.Figures().TimersDue(ctx, clk.Now()); due != 0 {
		t.Fatalf("%d timers due and not fired", due)
	}

	evs, err := store.Outbox().Events(ctx, "0", 100000)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]map[string]int{}
	offers := map[string]int{}
	for _, e := range evs {
		task := e.Fields["task"]
		if per[task] == nil {
			per[task] = map[string]int{}
		}
		k := e.Type
		if c := e.Fields["clock"]; c != "" {
			k += ":" + c
		}
		if s := e.Fields["step"]; s != "" {
			k += ":" + s
		}
		per[task][k]++
		if o := e.Fields["offer"]; o != "" && e.Type != "offer.created" {
			offers[o]++
		}
	}
	for _, id := range emails {
		if per[id]["sla.warning:first_response"] != 1 || per[id]["sla.breached:first_response"] != 1 {
			t.Errorf("e-mail %s: %v", id, per[id])
		}
	}
	for _, id := range calls {
		ev := per[id]
		if ev["task.escalated:0"] != 1 || ev["task.escalated:1"] != 1 || ev["task.escalated:2"] != 1 ||
			ev["sla.warning:first_response"] != 1 || ev["sla.breached:first_response"] != 1 {
			t.Errorf("call %s: %v", id, ev)
		}
	}
	timeouts := 0
	for o, n := range offers {
		if n != 1 {
			t.Errorf("offer %s ended %d times", o, n)
		}
		timeouts += n
	}
	if timeouts == 0 || fired[2] == 0 || fired[0]+fired[1]+fired[2] == 0 {
		t.Fatalf("the run did not exercise offers or all replicas: %d offer outcomes, fired %v", timeouts, fired)
	}
	t.Logf("timers fired by replica: %v; offer outcomes: %d", fired, timeouts)
}
