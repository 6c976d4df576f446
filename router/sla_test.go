package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/internal/redistest"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/workforce"
)

// env is one router on a fresh workspace with the example configuration.
type env struct {
	t   *testing.T
	rt  *router.App
	clk *clock.Manual
	ctx context.Context
}

func newEnv(t *testing.T, configure ...func(*config.Config)) *env {
	rt, clk := newRouterClock(t, configure...)
	return &env{t: t, rt: rt, clk: clk, ctx: t.Context()}
}

// at advances the clock by d and fires what is due.
func (e *env) at(d time.Duration) {
	e.t.Helper()
	e.clk.Advance(d)
	if _, err := e.rt.Tasks.FireDue(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) agent(id string, skills map[string]int, langs ...string) {
	e.t.Helper()
	if _, _, err := e.rt.Agents.SaveAgent(e.ctx, workforce.Agent{ID: id, Name: id, TimeZone: "UTC", Languages: langs, Skills: skills}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.rt.Agents.SetPresence(e.ctx, id, router.Presence{Presence: queues.Available}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) message(id, text string) router.Ingested {
	e.t.Helper()
	got, err := e.rt.Contacts.Ingest(e.ctx, router.Inbound{Source: "instagram", Channel: "social", EventID: id,
		Identity: "social:instagram:lucia", Text: text})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func (e *env) reply(task, text string) {
	e.t.Helper()
	if _, err := e.rt.Contacts.Reply(e.ctx, task, "", text); err != nil {
		e.t.Fatal(err)
	}
}

// events counts the workspace's events of each type for one task.
func (e *env) events(task string) map[string]int {
	e.t.Helper()
	cfg := e.rt.Config()
	evs, err := queues.New(redistest.Client(e.t), cfg.Workspace, router.SettingsFrom(cfg)).Outbox().Events(e.ctx, "0", 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range evs {
		if ev.Fields["task"] == task {
			key := ev.Type
			if c := ev.Fields["clock"]; c != "" {
				key += ":" + c
			}
			out[key]++
		}
	}
	return out
}

func (e *env) clockOf(task, name string) queues.Clock {
	e.t.Helper()
	tk, err := e.rt.Tasks.Task(e.ctx, task)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range tk.Clocks {
		if c.Name == name {
			return c
		}
	}
	e.t.Fatalf("task %s has no %s clock: %+v", task, name, tk.Clocks)
	return queues.Clock{}
}

// A social message's first response is due in 2 h (warning at 80 %, 1 h 36 min);
// the next reply, after a customer follow-up, in 2 h too.
func TestSocialSLA(t *testing.T) {
	for _, c := range []struct {
		name    string
		answer  time.Duration
		state   string
		late    string
		breach  int
		warning int
	}{
		{"answered at 1h59", 119 * time.Minute, "met", "", 0, 1},
		// A breached clock is answered late: sla.answered_late, never sla.met.
		{"answered at 2h01", 121 * time.Minute, "breached", "1m0s", 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.agent("sofia", map[string]int{"sales": 4}, "en")
			got := e.message("m1", "hi, is the blue one in stock?")
			task := got.Task.ID
			if got.Task.Queue != "sales-en" || got.Task.Agent != "sofia" {
				t.Fatalf("task %+v", got.Task)
			}
			if _, err := e.rt.Tasks.Accept(e.ctx, got.Task.Offer, "sofia"); err != nil {
				t.Fatal(err)
			}
			// Walk the clock a minute at a time, firing timers at each step, so
			// that a breach could fire more than once if it were not atomic.
			for elapsed := time.Duration(0); elapsed < c.answer; elapsed += time.Minute {
				e.at(time.Minute)
				if elapsed+time.Minute == 96*time.Minute && e.events(task)["sla.warning:first_response"] != 1 {
					t.Fatalf("no warning at 1h36: %v", e.events(task))
				}
			}
			e.reply(task, "Yes, it is!")
			e.at(time.Hour)
			ev := e.events(task)
			if ev["sla.warning:first_response"] != c.warning || ev["sla.breached:first_response"] != c.breach ||
				ev["sla.met:first_response"] != 1-c.breach || ev["sla.answered_late:first_response"] != c.breach {
				t.Fatalf("events %v", ev)
			}
			fr := e.clockOf(task, "first_response")
			if fr.State != c.state || fr.LateBy != c.late {
				t.Fatalf("first response clock %+v", fr)
			}

			// Next reply: a follow-up starts the clock; answered the same way.
			e.message("m2", "can you ship it to Lisbon?")
			start := e.rt.Now()
			for elapsed := time.Duration(0); elapsed < c.answer; elapsed += time.Minute {
				e.at(time.Minute)
			}
			e.reply(task, "Sure.")
			e.at(time.Hour)
			ev = e.events(task)
			if ev["sla.warning:next_reply"] != c.warning || ev["sla.breached:next_reply"] != c.breach ||
				ev["sla.met:next_reply"] != 1-c.breach || ev["sla.answered_late:next_reply"] != c.breach {
				t.Fatalf("events %v", ev)
			}
			nr := e.clockOf(task, "next_reply")
			if nr.State != c.state || nr.LateBy != c.late || !nr.DueAt.Equal(start.Add(2*time.Hour)) {
				t.Fatalf("next reply clock %+v (started %s)", nr, start)
			}
			// The queue's figures for the day (its zone: New York).
			qs, err := e.rt.Reporting.Queues(e.ctx, "sales-en")
			if err != nil {
				t.Fatal(err)
			}
			today := qs[0].Today
			wantSL := 1 - float64(c.breach)
			if today.Counts.Offered != 1 || today.Counts.Answered != 1 || today.Counts.Breached != int64(c.breach) ||
				today.ServiceLevel == nil || *today.ServiceLevel != wantSL || qs[0].TimeZone != "America/New_York" {
				t.Fatalf("today %+v (service level %v)", today, today.ServiceLevel)
			}
		})
	}
}

// An e-mail's 24-hour target runs on the queue's business hours.
func TestEmailDueOnBusinessHours(t *testing.T) {
	e := newEnv(t)
	// The example's clock starts Mon 2 Mar 2026 09:00 UTC = 10:00 in Madrid.
	// support-es is open Mon-Thu 09:00-14:00 and 15:00-19:00, Fri 09:00-15:00:
	// Mon 10:00-19:00 gives 8 h, Tue 9 h (17), and Wed the last 7 h:
	// 09:00-14:00 (5 h) + 15:00-17:00, so Wed 4 Mar 17:00 CET = 16:00Z.
	got, err := e.rt.Contacts.Ingest(e.ctx, router.Inbound{Source: "mailgate", Channel: "email", EventID: "e1",
		Identity: "email:lucia@example.com", Text: "Hola, quiero cambiar mi dirección de envío"})
	if err != nil {
		t.Fatal(err)
	}
	fr := e.clockOf(got.Task.ID, "first_response")
	want := time.Date(2026, 3, 4, 16, 0, 0, 0, time.UTC)
	if got.Task.Queue != "support-es" || !fr.DueAt.Equal(want) {
		t.Fatalf("queue %s, due %s, want %s", got.Task.Queue, fr.DueAt, want)
	}
}

// A Spanish billing call (the number called says billing, the caller's
// number Spanish) with no Spanish agent: at the SLA warning (16 s of 20 s)
// supervisors are notified, after 45 s its priority goes up, after 90 s it
// overflows to billing-en, where an English agent takes it.
func TestEscalationOverflows(t *testing.T) {
	e := newEnv(t)
	e.agent("emma", map[string]int{"billing": 3}, "en")
	got, err := e.rt.Contacts.Ingest(e.ctx, router.Inbound{Source: "twilio", Channel: "voice", EventID: "CA2", To: "+34910000000",
		Identity: "phone:+34600111223", Region: "ES"})
	if err != nil {
		t.Fatal(err)
	}
	task := got.Task.ID
	if got.Task.Queue != "billing-es" || got.Task.State != queues.Queued {
		t.Fatalf("task %+v", got.Task)
	}
	e.at(16 * time.Second)
	tk, _ := e.rt.Tasks.Task(e.ctx, task)
	if len(tk.Escalations) != 1 || !sameJSON(tk.Escalations[0], `{"at":1772442016000,"notify":true,"priority":0,"step":2}`) {
		t.Fatalf("at the warning: %s", tk.Escalations)
	}
	e.at(28 * time.Second)
	if tk, _ := e.rt.Tasks.Task(e.ctx, task); tk.Priority != 0 || len(tk.Escalations) != 1 {
		t.Fatalf("escalated early: priority %d, %s", tk.Priority, tk.Escalations)
	}
	e.at(time.Second)
	if tk, _ := e.rt.Tasks.Task(e.ctx, task); tk.Priority != 10 || len(tk.Escalations) != 2 || tk.State != queues.Queued {
		t.Fatalf("after 45s: priority %d, %s, state %s", tk.Priority, tk.Escalations, tk.State)
	}
	e.at(45 * time.Second)
	tk, _ = e.rt.Tasks.Task(e.ctx, task)
	if tk.State != queues.Reserved || tk.Agent != "emma" || len(tk.Escalations) != 3 || fmt.Sprint(tk.Overflow) != "[billing-en]" {
		t.Fatalf("after 90s: %+v, %s", tk, tk.Escalations)
	}
	if !sameJSON(tk.Escalations[2], `{"at":1772442090000,"notify":false,"overflow":["billing-en"],"priority":10,"step":1}`) {
		t.Fatalf("recorded step: %s", tk.Escalations[2])
	}
}

func sameJSON(got json.RawMessage, want string) bool {
	var a, b any
	return json.Unmarshal(got, &a) == nil && json.Unmarshal([]byte(want), &b) == nil && reflect.DeepEqual(a, b)
}

// A queue that asks for proficiency 4 lowers it to 2 after 30 s: the waiting
// task then goes to an agent at 2, who could not take it before.
func TestEscalationLowersMinimumProficiency(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		for i := range c.Queues {
			if c.Queues[i].ID == "sales-fr" {
				c.Queues[i].MinProficiency = 4
				c.Queues[i].Escalation = []config.Step{{After: 30 * time.Second, MinProficiency: 2}}
			}
		}
	})
	e.agent("lea", map[string]int{"sales": 2}, "fr")
	tk, _, err := e.rt.Tasks.CreateTask(e.ctx, router.TaskRequest{Channel: "chat", Queue: "sales-fr"})
	if err != nil {
		t.Fatal(err)
	}
	if tk.State != queues.Queued {
		t.Fatalf("offered below the minimum: %+v", tk)
	}
	if a, _ := e.rt.Agents.Agent(e.ctx, "lea"); len(a.State.Queues) != 0 {
		t.Fatalf("lea listed as eligible: %v", a.State.Queues)
	}
	e.at(29 * time.Second)
	if got, _ := e.rt.Tasks.Task(e.ctx, tk.ID); got.State != queues.Queued {
		t.Fatalf("offered early: %+v", got)
	}
	e.at(time.Second)
	got, _ := e.rt.Tasks.Task(e.ctx, tk.ID)
	if got.State != queues.Reserved || got.Agent != "lea" || !sameJSON(got.Escalations[0],
		`{"at":1772442030000,"notify":false,"priority":0,"step":0,"min_proficiency":2}`) {
		t.Fatalf("after 30s: %+v %s", got, got.Escalations)
	}
	// The other way round: a task already open to level 2 reaches lea when
	// she frees capacity (the second routing event).
	if err := e.rt.Agents.SetPresence(e.ctx, "lea", router.Presence{Presence: queues.Away}); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Agents.SetPresence(e.ctx, "lea", router.Presence{Presence: queues.Available}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.rt.Tasks.Task(e.ctx, tk.ID); got.Agent != "lea" || got.State != queues.Reserved {
		t.Fatalf("not routed to lea on availability: %+v", got)
	}
}

// A step that falls due while the task is being offered still applies: when
// the offer times out, the task goes back with the raised priority.
func TestEscalationWhileOffered(t *testing.T) {
	e := newEnv(t)
	got, err := e.rt.Contacts.Ingest(e.ctx, router.Inbound{Source: "twilio", Channel: "voice", EventID: "CA9", To: "+34910000000",
		Identity: "phone:+34600111299", Region: "ES"})
	if err != nil || got.Task.Queue != "billing-es" {
		t.Fatalf("%+v %v", got.Task, err)
	}
	e.at(40 * time.Second)
	// A Spanish billing agent arrives at 40 s: the call rings (15 s offer).
	e.agent("lola", map[string]int{"billing": 3}, "es")
	if tk, _ := e.rt.Tasks.Task(e.ctx, got.Task.ID); tk.State != queues.Reserved {
		t.Fatalf("not offered: %+v", tk)
	}
	e.at(5 * time.Second) // 45 s: the raise-priority step, during the offer
	if tk, _ := e.rt.Tasks.Task(e.ctx, got.Task.ID); tk.Priority != 10 || tk.State != queues.Reserved {
		t.Fatalf("step during the offer: priority %d, state %s", tk.Priority, tk.State)
	}
	e.at(10 * time.Second) // the offer times out: back in the queue, priority kept
	if tk, _ := e.rt.Tasks.Task(e.ctx, got.Task.ID); tk.Priority != 10 || tk.State != queues.Queued {
		t.Fatalf("after the timeout: priority %d, state %s", tk.Priority, tk.State)
	}
}
