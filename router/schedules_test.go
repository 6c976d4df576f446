package router_test

import (
	"testing"
	"time"

	"switchboard/config"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/workforce"
)

// With enforcement, an agent left available before the shift gets no offer
// until the shift starts, none during the break, and adherence counts the
// hour it was available before its shift as out of adherence.
func TestScheduleEnforcementAndAdherence(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Routing.EnforceSchedules = true })
	// The clock starts Mon 2 Mar 2026 09:00 UTC; go back to 07:00 UTC (08:00 in Madrid).
	e.clk.Advance(-2 * time.Hour)
	if _, _, err := e.rt.Agents.SaveAgent(e.ctx, workforce.Agent{ID: "rosa", Name: "Rosa", TimeZone: "Europe/Madrid",
		Languages: []string{"es"}, Skills: map[string]int{"support": 3}}); err != nil {
		t.Fatal(err)
	}
	view, err := e.rt.Planning.SaveSchedule(e.ctx, "rosa", workforce.Schedule{Weekly: []workforce.Shift{
		{Day: "mon", Start: "09:00", End: "17:00", Breaks: []workforce.Break{{Start: "12:00", End: "12:30"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if view.OnShift || view.Schedule.TimeZone != "Europe/Madrid" || len(view.Next) != 3 {
		t.Fatalf("schedule %+v", view)
	}
	if err := e.rt.Agents.SetPresence(e.ctx, "rosa", router.Presence{Presence: queues.Available}); err != nil {
		t.Fatal(err)
	}
	tk, _, err := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "chat", Queue: "support-es"})
	if err != nil || tk.State != queues.Queued {
		t.Fatalf("offered before the shift: %+v %v", tk, err)
	}
	e.at(time.Hour) // 09:00 in Madrid: the shift starts and the chat is offered
	got, _ := e.rt.Tasks.Task(e.ctx, tk.ID)
	if got.State != queues.Reserved || got.Agent != "rosa" {
		t.Fatalf("at the shift start: %+v", got)
	}
	if _, err := e.rt.Tasks.Accept(e.ctx, got.Offer, "rosa"); err != nil {
		t.Fatal(err)
	}

	// 11:00 in Madrid: 600 minutes in adherence (off and offline from
	// midnight to 08:00, then working from 09:00), 60 out (available 08:00-09:00).
	e.at(2 * time.Hour)
	rows, err := e.rt.Planning.Adherence(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !rows[0].InAdherence || rows[0].Scheduled != "work" || rows[0].MinutesIn != 600 || rows[0].MinutesOut != 60 {
		t.Fatalf("adherence %+v", rows)
	}

	e.at(time.Hour) // 12:00: the break
	tk2, _, err := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "chat", Queue: "support-es"})
	if err != nil || tk2.State != queues.Queued {
		t.Fatalf("offered during the break: %+v %v", tk2, err)
	}
	if a, _ := e.rt.Agents.Agent(e.ctx, "rosa"); a.State.OnShift {
		t.Fatal("on shift during the break")
	}
	e.at(30 * time.Minute) // 12:30: back from the break
	if got, _ := e.rt.Tasks.Task(e.ctx, tk2.ID); got.Agent != "rosa" {
		t.Fatalf("after the break: %+v", got)
	}
}

// Enforcement per queue: off shift, an agent still takes work from a queue
// that does not enforce schedules, and none from one that does.
func TestEnforcementPerQueue(t *testing.T) {
	yes := true
	e := newEnv(t, func(c *config.Config) {
		for i := range c.Queues {
			if c.Queues[i].ID == "support-es" {
				c.Queues[i].EnforceSchedules = &yes // globally off, on here
			}
		}
	})
	if _, _, err := e.rt.Agents.SaveAgent(e.ctx, workforce.Agent{ID: "rosa", Name: "Rosa", TimeZone: "Europe/Madrid",
		Languages: []string{"es", "en"}, Skills: map[string]int{"support": 3}, Capacity: map[string]int{"chat": 2}}); err != nil {
		t.Fatal(err)
	}
	// Her shift is on Tuesdays; the clock is a Monday.
	if _, err := e.rt.Planning.SaveSchedule(e.ctx, "rosa", workforce.Schedule{Weekly: []workforce.Shift{{Day: "tue", Start: "09:00", End: "17:00"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Agents.SetPresence(e.ctx, "rosa", router.Presence{Presence: queues.Available}); err != nil {
		t.Fatal(err)
	}
	es, _, _ := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "chat", Queue: "support-es"})
	en, _, _ := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "chat", Queue: "support-en"})
	if es.State != queues.Queued || en.Agent != "rosa" {
		t.Fatalf("support-es %s (want queued), support-en to %q (want rosa)", es.State, en.Agent)
	}
}
