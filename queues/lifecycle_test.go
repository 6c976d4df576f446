package queues_test

import (
	"errors"
	"testing"
	"time"

	"switchboard/queues"
)

func TestLifecycleQueuedReservedAssignedWrappingCompleted(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"voice": 1, "chat": 2}, el("support-en", 3))

	id, offered := f.task("support-en", "chat", 0)
	if offered != "" {
		t.Fatalf("offered to %q while nobody is available", offered)
	}
	if tk := f.getTask(id); tk.State != queues.Queued {
		t.Fatalf("state %s, want queued", tk.State)
	}

	f.advance(5 * time.Second)
	f.presence("ana", queues.Available) // second routing event: ana frees capacity
	tk := f.getTask(id)
	if tk.State != queues.Reserved || tk.Agent != "ana" || tk.Offer != id+".1" {
		t.Fatalf("after available: %+v", tk)
	}
	if want := f.now.Add(20 * time.Second); !tk.OfferDeadline.Equal(want) {
		t.Fatalf("deadline %v, want %v", tk.OfferDeadline, want)
	}
	if a := f.getAgent("ana"); a.Load["chat"] != 1 || len(a.Tasks) != 1 {
		t.Fatalf("agent after offer: %+v", a)
	}

	f.advance(3 * time.Second)
	acc, err := f.store.AcceptOffer(f.ctx, f.now, tk.Offer, "ana", false)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Wait != 8*time.Second || acc.TaskID != id || acc.Queue != "support-en" || acc.Channel != "chat" {
		t.Fatalf("accepted %+v", acc)
	}
	done, err := f.store.CompleteTask(f.ctx, f.now, id, "ana", "resolved")
	if err != nil || done.State != queues.Wrapping {
		t.Fatalf("complete: %+v %v", done, err)
	}
	if a := f.getAgent("ana"); a.Load["chat"] != 1 {
		t.Fatalf("wrap-up must hold capacity: %+v", a.Load)
	}

	// Wrap-up ends on its timer, not before.
	f.advance(29 * time.Second)
	if fired, err := f.store.FireTimers(f.ctx, f.now, 100); err != nil || fired.WrapUpsEnded != 0 {
		t.Fatalf("early fire: %+v %v", fired, err)
	}
	f.advance(time.Second)
	fired, err := f.store.FireTimers(f.ctx, f.now, 100)
	if err != nil || fired.WrapUpsEnded != 1 {
		t.Fatalf("fire: %+v %v", fired, err)
	}
	tk = f.getTask(id)
	if tk.State != queues.Completed || tk.Disposition != "resolved" || !tk.EndedAt.Equal(f.now) {
		t.Fatalf("final %+v", tk)
	}
	if a := f.getAgent("ana"); a.Load["chat"] != 0 || len(a.Tasks) != 0 {
		t.Fatalf("agent after completion: %+v", a)
	}
	// A second fire at the same time does nothing: the timer fired once.
	if fired, _ := f.store.FireTimers(f.ctx, f.now, 100); fired.Timers != 0 {
		t.Fatalf("fired twice: %+v", fired)
	}

	evs, err := f.store.Outbox().Events(f.ctx, "0", 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	want := []string{"agent.created", "task.created", "agent.presence", "offer.created", "sla.met", "task.assigned", "task.wrapping", "task.completed"}
	if len(types) != len(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("events %v, want %v", types, want)
		}
	}

	// Acting on a finished task is a conflict, on an unknown one not found.
	if _, err := f.store.CompleteTask(f.ctx, f.now, id, "", ""); !errors.Is(err, queues.ErrConflict) {
		t.Fatalf("complete twice: %v", err)
	}
	if err := f.store.CancelTask(f.ctx, f.now, "nope", "x"); !errors.Is(err, queues.ErrNotFound) {
		t.Fatalf("cancel unknown: %v", err)
	}
}
