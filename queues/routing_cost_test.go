package queues_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
	"switchboard/queues"
)

// An agent who answers automatically has a task assigned at once: the
// desktop sees the offer and its assignment, no offer timer is left, the
// first response is met, and the reply says so.
func TestAutoAnswerAssignsAtOnce(t *testing.T) {
	f := newFixture(t)
	if _, _, err := f.store.UpsertAgent(f.ctx, f.now, queues.AgentSpec{ID: "ana", Profile: []byte(`{}`),
		Queues: []queues.Eligibility{el("support-en", 3)}, Capacity: map[string]int{"voice": 1}, AutoAnswer: true}); err != nil {
		t.Fatal(err)
	}
	f.presence("ana", queues.Available)
	cr, err := f.store.CreateTask(f.ctx, f.now, queues.NewTask{ID: "call1", Channel: "voice", Queue: "support-en",
		DueAt: f.now.Add(20 * time.Second), OfferTimeout: 20 * time.Second, Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Agent != "ana" || len(cr.Made) != 1 || !cr.Made[0].Assigned || cr.Made[0].Task != "call1" || cr.Made[0].Agent != "ana" {
		t.Fatalf("created %+v", cr)
	}
	tk := f.getTask("call1")
	if tk.State != queues.Assigned || tk.Agent != "ana" || tk.FirstResponse == nil || len(tk.Clocks) != 1 || tk.Clocks[0].State != "met" {
		t.Fatalf("task %+v", tk)
	}
	if n := f.rdb.ZCard(f.ctx, queues.Prefix(f.ws)+"timers").Val(); n != 0 {
		t.Fatalf("%d timers left (no offer timeout, no SLA clock running)", n)
	}
	msgs, _, err := f.store.Streams().AgentHistory(f.ctx, "ana", "0", 10)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, m := range msgs {
		types = append(types, m.Type)
	}
	if got := strings.Join(types, ","); !strings.HasSuffix(got, "offer,task.assigned") {
		t.Fatalf("desktop saw %s", got)
	}
	// Completing frees the line: the next call is assigned straight away too,
	// and the completion's reply names it.
	if _, err := f.store.CreateTask(f.ctx, f.now, queues.NewTask{ID: "call2", Channel: "voice", Queue: "support-en",
		DueAt: f.now.Add(20 * time.Second), OfferTimeout: 20 * time.Second, Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Minute)
	done, err := f.store.CompleteTask(f.ctx, f.now, "call1", "ana", "")
	if err != nil || done.State != queues.Completed || len(done.Made) != 1 || done.Made[0].Task != "call2" || !done.Made[0].Assigned {
		t.Fatalf("completed %+v %v", done, err)
	}
	if tk := f.getTask("call2"); tk.State != queues.Assigned || tk.AssignedAt == nil || tk.AssignedAt.Sub(tk.CreatedAt) != time.Minute {
		t.Fatalf("call2 %+v", tk)
	}
}

// Tasks that waited before the per-queue counts existed (no count field)
// still reach an agent who comes free, and the count then follows the set.
func TestWaitingCountsAndTheirAbsence(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("support-en", 3))
	id, _ := f.task("support-en", "chat", 0)
	waiting := queues.Prefix(f.ws) + "waiting"
	if n := f.rdb.HGet(f.ctx, waiting, "support-en:chat").Val(); n != "1" {
		t.Fatalf("count %q, want 1", n)
	}
	f.rdb.Del(f.ctx, waiting)
	f.presence("ana", queues.Available)
	if tk := f.getTask(id); tk.State != queues.Reserved || tk.Agent != "ana" {
		t.Fatalf("a task waiting without a count was not routed: %+v", tk)
	}
	if n := f.rdb.HGet(f.ctx, waiting, "support-en:chat").Val(); n != "0" {
		t.Fatalf("count %q after the look, want 0", n)
	}
}

// Scripts run as Redis Functions loaded once; a server that lost them (a
// restart without persistence, FUNCTION FLUSH) gets them again on the next
// call, and a server without Functions (the embedded Redis) runs them with
// EVAL.
func TestFunctionsLoadedAndReloaded(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("support-en", 3))
	libs := func() string {
		if redistest.Embedded() {
			return "embedded" // it has no FUNCTION LIST: the calls show the library is there
		}
		var out []string
		for _, l := range f.rdb.FunctionList(f.ctx, redis.FunctionListQuery{LibraryNamePattern: "switchboard_*"}).Val() {
			out = append(out, l.Name)
		}
		return strings.Join(out, ",")
	}
	if libs() == "" {
		t.Fatal("no switchboard library loaded")
	}
	if _, ok := f.rdb.(*redis.ClusterClient); !ok {
		if err := f.rdb.FunctionFlush(f.ctx).Err(); err != nil {
			t.Fatal(err)
		}
		f.presence("ana", queues.Available)
		if libs() == "" || f.getAgent("ana").Presence != queues.Available {
			t.Fatal("the library was not loaded again")
		}
	}

	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	st := queues.New(rdb, "embedded", queues.Settings{MaxMissedOffers: 3, AgentStreamLength: 10, EventsLength: 1000})
	if _, _, err := st.UpsertAgent(f.ctx, t0, queues.AgentSpec{ID: "ana", Profile: []byte(`{}`), Capacity: map[string]int{"chat": 1}}); err != nil {
		t.Fatal(err)
	}
	if a, err := st.GetAgent(f.ctx, "ana"); err != nil || a.Presence != queues.Offline {
		t.Fatalf("embedded: %+v %v", a, err)
	}
}

// With ReportNextTimer every reply carries the earliest timer's due time.
func TestReportNextTimer(t *testing.T) {
	f := newFixture(t)
	st := queues.New(f.rdb, f.ws, queues.Settings{MaxMissedOffers: 2, AgentStreamLength: 100, EventsLength: 1000, ReportNextTimer: true})
	cr, err := st.CreateTask(f.ctx, f.now, queues.NewTask{ID: "c1", Channel: "chat", Queue: "support-en",
		DueAt: f.now.Add(time.Minute), FirstWarnAt: f.now.Add(40 * time.Second), OfferTimeout: 20 * time.Second,
		Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`)})
	if err != nil || !cr.NextTimer.Equal(f.now.Add(40*time.Second)) {
		t.Fatalf("next timer %v (%v), want the warning at +40s", cr.NextTimer, err)
	}
	if cr, _ := f.store.CreateTask(f.ctx, f.now, queues.NewTask{ID: "c2", Channel: "chat", Queue: "support-en",
		DueAt: f.now.Add(time.Minute), OfferTimeout: 20 * time.Second, Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`)}); !cr.NextTimer.IsZero() {
		t.Fatalf("reported without being asked: %v", cr.NextTimer)
	}
}

// A list looks at no more than its budget of index entries a call: a
// filter that matches little gives a short page and a cursor to go on,
// and following the cursors finds every match once.
func TestListTasksBudget(t *testing.T) {
	f := newFixture(t)
	for range 10 {
		f.advance(time.Second)
		f.task("support-en", "chat", 0)
	}
	f.advance(time.Second)
	f.task("support-en", "email", 0) // the newest
	for range 4 {
		f.advance(time.Second)
		f.task("support-en", "chat", 0)
	}
	f.task("support-en", "email", 0) // the same millisecond as the last chat
	first := queues.TaskQuery{Channel: "email", Limit: 5, Budget: 3}
	page, next, err := f.store.ListTasks(f.ctx, f.now, first)
	if err != nil || len(page) != 1 || next.MS == 0 {
		t.Fatalf("first page: %d tasks, next %+v, %v", len(page), next, err)
	}
	found := len(page)
	for calls := 1; next.MS != 0; calls++ {
		if calls > 10 {
			t.Fatal("the cursor does not advance")
		}
		q := first
		q.After = next
		page, next, err = f.store.ListTasks(f.ctx, f.now, q)
		if err != nil {
			t.Fatal(err)
		}
		found += len(page)
		for _, tk := range page {
			if tk.Channel != "email" {
				t.Fatalf("listed %+v", tk)
			}
		}
	}
	if found != 2 {
		t.Fatalf("found %d e-mails, want 2", found)
	}
}

// A channel an agent never takes has no availability entry to keep; a
// change of capacity lists or unlists the agent at once.
func TestZeroCapacityIsNotListed(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"voice": 1, "chat": 0}, el("support-en", 3))
	f.presence("ana", queues.Available)
	listed := func(ch string) bool {
		return f.rdb.ZScore(f.ctx, queues.Prefix(f.ws)+"q:support-en:"+ch+":avail", "ana").Err() == nil
	}
	if !listed("voice") || listed("chat") {
		t.Fatalf("voice %v chat %v", listed("voice"), listed("chat"))
	}
	f.agent("ana", map[string]int{"voice": 1, "chat": 2}, el("support-en", 3))
	if !listed("chat") {
		t.Fatal("chat capacity given, not listed")
	}
	f.agent("ana", map[string]int{"voice": 1, "chat": 0}, el("support-en", 3))
	if listed("chat") {
		t.Fatal("chat capacity taken away, still listed")
	}
	if _, offered := f.task("support-en", "chat", 0); offered != "" {
		t.Fatalf("a chat offered to %s, who takes none", offered)
	}
}

// A pipeline applies its transitions in order, each at its own time, in
// one round trip, and gives each its own result or refusal; on a real
// Redis and on the embedded one.
func TestPipelineAppliesInOrder(t *testing.T) {
	mr := miniredis.RunT(t)
	embedded := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer embedded.Close()
	for name, rdb := range map[string]redis.UniversalClient{"redis-server": newFixture(t).rdb, "embedded": embedded} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			st := queues.New(rdb, "pipe-"+name, queues.Settings{MaxMissedOffers: 2, AgentStreamLength: 100, EventsLength: 1000})
			defer st.DropWorkspace(ctx)
			if _, _, err := st.UpsertAgent(ctx, t0, queues.AgentSpec{ID: "ana", Profile: []byte(`{}`),
				Queues: []queues.Eligibility{el("support-en", 3)}, Capacity: map[string]int{"voice": 1}, AutoAnswer: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SetPresence(ctx, t0, "ana", queues.Available, ""); err != nil {
				t.Fatal(err)
			}
			call := func(id string) queues.NewTask {
				return queues.NewTask{ID: id, Channel: "voice", Queue: "support-en", DueAt: t0.Add(time.Hour), OfferTimeout: time.Minute,
					Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`)}
			}
			p := st.Pipeline()
			var c1, c2 queues.Created
			var done queues.Completion
			var gone queues.Routed
			var e1, e2, e3, e4 error
			p.CreateTask(t0, call("c1"), &c1, &e1)                            // to ana, at once
			p.CreateTask(t0.Add(time.Second), call("c2"), &c2, &e2)           // waits
			p.CompleteTask(t0.Add(time.Minute), "c1", "", "done", &done, &e3) // ana takes c2
			p.CancelWaiting(t0.Add(2*time.Minute), "c2", "abandoned", &gone, &e4)
			if err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if e1 != nil || c1.Agent != "ana" || e2 != nil || c2.Agent != "" || e3 != nil || len(done.Made) != 1 || done.Made[0].Task != "c2" {
				t.Fatalf("results %+v %v, %+v %v, %+v %v", c1, e1, c2, e2, done, e3)
			}
			if !errors.Is(e4, queues.ErrConflict) {
				t.Fatalf("cancel of an assigned task: %v", e4)
			}
			tk, err := st.GetTask(ctx, "c2")
			if err != nil || tk.State != queues.Assigned || !tk.AssignedAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("c2 %+v %v", tk, err)
			}
			// The server loses the code (a restart without persistence): the
			// next batch, sent whole, is refused, and runs again in order.
			if name == "embedded" {
				err = rdb.ScriptFlush(ctx).Err()
			} else {
				err = rdb.FunctionFlush(ctx).Err()
			}
			if err != nil {
				t.Fatal(err)
			}
			var c3 queues.Created
			var done2 queues.Completion
			p.CreateTask(t0.Add(3*time.Minute), call("c3"), &c3, &e1)            // waits: ana holds c2
			p.CompleteTask(t0.Add(4*time.Minute), "c2", "", "done", &done2, &e2) // ana takes c3
			if err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if e1 != nil || c3.Agent != "" || e2 != nil || len(done2.Made) != 1 || done2.Made[0].Task != "c3" {
				t.Fatalf("after the flush: %+v %v, %+v %v", c3, e1, done2, e2)
			}
		})
	}
}
