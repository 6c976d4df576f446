package router_test

import (
	"testing"
	"time"

	"switchboard/queues"
	"switchboard/router"
)

func TestIntervalStats(t *testing.T) {
	e := newEnv(t)
	e.agent("rosa", map[string]int{"support": 3}, "es")
	start := e.rt.Now() // Mon 2 Mar 2026 09:00 UTC
	// One chat answered after 10 s and handled for 5 minutes.
	tk, _, err := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "chat", Queue: "support-es"})
	if err != nil {
		t.Fatal(err)
	}
	e.at(10 * time.Second)
	if _, err := e.rt.Tasks.Accept(e.ctx, tk.Offer, ""); err != nil {
		t.Fatal(err)
	}
	// Another, offered while rosa's capacity allows, is abandoned after 40 s.
	if err := e.rt.Agents.SetPresence(e.ctx, "rosa", router.Presence{Presence: queues.Away}); err != nil {
		t.Fatal(err)
	}
	tk2, _, err := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "chat", Queue: "support-es"})
	if err != nil {
		t.Fatal(err)
	}
	e.at(40 * time.Second)
	if err := e.rt.Tasks.Cancel(e.ctx, tk2.ID, "abandoned"); err != nil {
		t.Fatal(err)
	}
	e.at(260 * time.Second) // 40 s + 260 s: 5 minutes after the first was accepted
	if _, err := e.rt.Tasks.Complete(e.ctx, tk.ID, "", "done"); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Tasks.Ready(e.ctx, tk.ID, ""); err != nil {
		t.Fatal(err)
	}
	rows, err := e.rt.Reporting.Stats(e.ctx, "support-es", start, start.Add(time.Hour), 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[0]
	if r.Channel != "chat" || !r.Start.Equal(start) || r.Offered != 2 || r.Answered != 1 || r.AnsweredInTarget != 1 ||
		r.Abandoned != 1 || *r.ASASeconds != 10 || *r.AHTSeconds != 300 || *r.AbandonWaitSecs != 40 || *r.ServiceLevel != 1 {
		t.Fatalf("row %+v (asa %v aht %v abandon wait %v)", r, *r.ASASeconds, *r.AHTSeconds, *r.AbandonWaitSecs)
	}
	if _, err := e.rt.Reporting.Stats(e.ctx, "nope", start, start, 7); err == nil {
		t.Fatal("bad request accepted")
	}
}
