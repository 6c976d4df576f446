package queues_test

import (
	"errors"
	"testing"
	"time"

	"switchboard/queues"
)

// An agent freeing capacity takes the most urgent task at the heads of its
// queues: priority first, then SLA due time, then age.
func TestRouteOnFreeOrder(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("support-en", 3), el("billing-en", 3))
	old, _ := f.task("support-en", "chat", 0)
	f.advance(time.Second)
	newer, _ := f.task("support-en", "chat", 0)
	f.advance(time.Second)
	urgent, _ := f.task("billing-en", "chat", 5)

	for _, want := range []string{urgent, old, newer} {
		f.presence("ana", queues.Available)
		a := f.getAgent("ana")
		if len(a.Tasks) != 1 || a.Tasks[0] != want {
			t.Fatalf("ana holds %v, want %s", a.Tasks, want)
		}
		f.presence("ana", queues.Away) // takes the offer back; the task keeps its place
		if tk := f.getTask(want); tk.State != queues.Queued {
			t.Fatalf("rescinded task state %s", tk.State)
		}
		if err := f.store.CancelTask(f.ctx, f.now, want, "test"); err != nil {
			t.Fatal(err)
		}
	}
}

// A task arriving goes to the best available agent by the queue's strategy.
func TestRouteOnArrivalStrategies(t *testing.T) {
	cases := []struct {
		strategy string
		want     string
	}{
		{"longest-idle", "ana"},    // available first
		{"most-proficient", "eva"}, // proficiency 5
		{"least-occupied", "bob"},  // no load
	}
	for _, c := range cases {
		t.Run(c.strategy, func(t *testing.T) {
			f := newFixture(t)
			caps := map[string]int{"chat": 4}
			e := func(p int) queues.Eligibility {
				return queues.Eligibility{Queue: "q", Proficiency: p, Strategy: c.strategy}
			}
			f.agent("ana", caps, e(2))
			f.agent("bob", caps, e(3))
			f.agent("eva", caps, e(5))
			f.presence("ana", queues.Available)
			f.advance(time.Second)
			f.presence("bob", queues.Available)
			f.advance(time.Second)
			f.presence("eva", queues.Available)
			if c.strategy == "least-occupied" {
				// give ana and eva some work first
				f.task("q", "chat", 0) // ana (longest idle among equally free)
				f.advance(time.Second)
				if _, got := f.task("q", "chat", 0); got != "bob" && got != "eva" {
					t.Fatalf("second task went to %s", got)
				}
				f.advance(time.Second)
				_, got := f.task("q", "chat", 0)
				if got == "ana" {
					t.Fatalf("third task went to loaded ana")
				}
				return
			}
			f.advance(time.Second)
			if _, got := f.task("q", "chat", 0); got != c.want {
				t.Fatalf("offered to %s, want %s", got, c.want)
			}
		})
	}
}

func TestRejectKeepsAgeSkipsAgentAndReroutesLater(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("q", 3))
	f.presence("ana", queues.Available)
	id, got := f.task("q", "chat", 0)
	if got != "ana" {
		t.Fatalf("offered to %q", got)
	}
	before := f.getTask(id)
	if err := f.store.RejectOffer(f.ctx, f.now, before.Offer, "bob"); !errors.Is(err, queues.ErrForbidden) {
		t.Fatalf("reject by another agent: %v", err)
	}
	if err := f.store.RejectOffer(f.ctx, f.now, before.Offer, "ana"); err != nil {
		t.Fatal(err)
	}
	tk := f.getTask(id)
	if tk.State != queues.Queued || tk.Agent != "" || !tk.CreatedAt.Equal(before.CreatedAt) {
		t.Fatalf("after reject: %+v", tk)
	}
	if a := f.getAgent("ana"); a.Load["chat"] != 0 {
		t.Fatalf("capacity not released: %+v", a.Load)
	}
	// The old offer cannot be accepted any more.
	if _, err := f.store.AcceptOffer(f.ctx, f.now, before.Offer, "ana", false); !errors.Is(err, queues.ErrConflict) {
		t.Fatalf("accept of a rejected offer: %v", err)
	}
	// Another agent arriving now gets it.
	f.agent("bob", map[string]int{"chat": 1}, el("q", 3))
	f.presence("bob", queues.Available)
	if tk := f.getTask(id); tk.Agent != "bob" || tk.Offer != id+".2" {
		t.Fatalf("not re-offered to bob: %+v", tk)
	}
	if err := f.store.RejectOffer(f.ctx, f.now, id+".2", ""); err != nil {
		t.Fatal(err)
	}
	// Both have rejected: it waits, and after the re-offer delay goes back to ana
	// (longest idle of the two).
	f.advance(9 * time.Second)
	if fired, _ := f.store.FireTimers(f.ctx, f.now, 10); fired.Reroutes != 0 {
		t.Fatalf("rerouted early: %+v", fired)
	}
	f.advance(time.Second)
	fired, err := f.store.FireTimers(f.ctx, f.now, 10)
	if err != nil || fired.Reroutes != 1 || fired.Offers != 1 {
		t.Fatalf("reroute: %+v %v", fired, err)
	}
	if tk := f.getTask(id); tk.State != queues.Reserved || tk.Agent != "ana" {
		t.Fatalf("after delay: %+v", tk)
	}
}

func TestOfferTimeoutsPutAgentAway(t *testing.T) {
	f := newFixture(t) // MaxMissedOffers: 2
	f.agent("ana", map[string]int{"chat": 1}, el("q", 3))
	f.presence("ana", queues.Available)
	id, _ := f.task("q", "chat", 0)

	f.advance(20 * time.Second) // offer deadline
	if _, err := f.store.AcceptOffer(f.ctx, f.now, id+".1", "ana", false); !errors.Is(err, queues.ErrConflict) {
		t.Fatalf("accept at the deadline: %v", err)
	}
	fired, err := f.store.FireTimers(f.ctx, f.now, 10)
	if err != nil || fired.OfferTimeouts != 1 {
		t.Fatalf("fire: %+v %v", fired, err)
	}
	a := f.getAgent("ana")
	if a.Presence != queues.Available || a.Missed != 1 {
		t.Fatalf("after one miss: %+v", a)
	}
	// Skipped for the re-offer delay, then offered again and missed again.
	f.advance(10 * time.Second)
	if fired, _ := f.store.FireTimers(f.ctx, f.now, 10); fired.Offers != 1 {
		t.Fatalf("not re-offered: %+v", fired)
	}
	f.advance(20 * time.Second)
	if fired, _ := f.store.FireTimers(f.ctx, f.now, 10); fired.OfferTimeouts != 1 {
		t.Fatalf("second timeout: %+v", fired)
	}
	a = f.getAgent("ana")
	if a.Presence != queues.Away || a.Reason != "missed offers" || a.Load["chat"] != 0 {
		t.Fatalf("after two misses: %+v", a)
	}
	if tk := f.getTask(id); tk.State != queues.Queued || tk.Offers != 2 {
		t.Fatalf("task after misses: %+v", tk)
	}
}

func TestVoiceBlocksChatAndCapacityHolds(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"voice": 1, "chat": 2}, el("q", 3)) // voice blocks chat
	f.presence("ana", queues.Available)
	call, got := f.task("q", "voice", 0)
	if got != "ana" {
		t.Fatalf("call offered to %q", got)
	}
	if _, got := f.task("q", "chat", 0); got != "" {
		t.Fatalf("chat offered during a call to %q", got)
	}
	if err := f.store.CancelTask(f.ctx, f.now, call, "abandoned"); err != nil {
		t.Fatal(err)
	}
	// The call ended: the waiting chat goes to ana, and a third chat too, but
	// never more than her chat capacity.
	f.task("q", "chat", 0)
	f.task("q", "chat", 0)
	a := f.getAgent("ana")
	if a.Load["chat"] != 2 || a.Load["voice"] != 0 || len(a.Tasks) != 2 {
		t.Fatalf("ana: %+v", a)
	}
}

func TestSkillChangeTakesEffectOnNextDecision(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("support-en", 3))
	f.presence("ana", queues.Available)
	id, got := f.task("billing-en", "chat", 0)
	if got != "" {
		t.Fatalf("offered without the skill to %q", got)
	}
	// Gaining billing routes the waiting task to her at once.
	f.agent("ana", map[string]int{"chat": 1}, el("billing-en", 3))
	if tk := f.getTask(id); tk.Agent != "ana" {
		t.Fatalf("after skill change: %+v", tk)
	}
	// And she no longer takes support.
	if _, err := f.store.CancelTask(f.ctx, f.now, id, "x"), error(nil); err != nil {
		t.Fatal(err)
	}
	if _, got := f.task("support-en", "chat", 0); got != "" {
		t.Fatalf("support task offered to %q after losing the skill", got)
	}
}

func TestIdempotentCreate(t *testing.T) {
	f := newFixture(t)
	nt := queues.NewTask{ID: "a1", IdempotencyKey: "CA123", IdempotencyTTL: time.Hour, Channel: "voice", Queue: "q",
		DueAt: f.now, OfferTimeout: time.Second, Customer: []byte(`{}`), Attributes: []byte(`{}`)}
	cr, err := f.store.CreateTask(f.ctx, f.now, nt)
	if err != nil || cr.Duplicate || cr.TaskID != "a1" {
		t.Fatalf("first: %+v %v", cr, err)
	}
	nt.ID = "a2"
	cr, err = f.store.CreateTask(f.ctx, f.now, nt)
	if err != nil || !cr.Duplicate || cr.TaskID != "a1" {
		t.Fatalf("second: %+v %v", cr, err)
	}
	if _, err := f.store.GetTask(f.ctx, "a2"); !errors.Is(err, queues.ErrNotFound) {
		t.Fatalf("duplicate wrote a task: %v", err)
	}
}

func TestTransfer(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("support-en", 3))
	f.agent("bob", map[string]int{"chat": 1}, el("billing-en", 3))
	f.presence("ana", queues.Available)
	id, _ := f.task("support-en", "chat", 0)
	if _, err := f.store.AcceptOffer(f.ctx, f.now, id+".1", "ana", false); err != nil {
		t.Fatal(err)
	}
	// To an unavailable agent: refused, nothing changes.
	if _, err := f.store.TransferTask(f.ctx, f.now, id, "", "bob", "ana"); !errors.Is(err, queues.ErrConflict) {
		t.Fatalf("transfer to offline bob: %v", err)
	}
	if tk := f.getTask(id); tk.State != queues.Assigned || tk.Agent != "ana" {
		t.Fatalf("changed by a refused transfer: %+v", tk)
	}
	// To a queue: ana is freed, the task waits in billing, then bob takes it.
	if got, err := f.store.TransferTask(f.ctx, f.now, id, "billing-en", "", "ana"); err != nil || got != "" {
		t.Fatalf("transfer to queue: %q %v", got, err)
	}
	if a := f.getAgent("ana"); a.Load["chat"] != 0 {
		t.Fatalf("ana still loaded: %+v", a.Load)
	}
	f.presence("bob", queues.Available)
	if tk := f.getTask(id); tk.Queue != "billing-en" || tk.Agent != "bob" || tk.State != queues.Reserved {
		t.Fatalf("after transfer: %+v", tk)
	}
}

// A task transferred to a queue the agent also serves is not offered
// straight back to that agent: another takes it, or it waits the reoffer
// delay. Another agent's transfer is refused before its state is told.
func TestTransferNotBackToTheSameAgent(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 2}, el("support-en", 4), el("billing-en", 4))
	f.agent("bob", map[string]int{"chat": 1}, el("billing-en", 3))
	f.presence("ana", queues.Available)
	id, _ := f.task("support-en", "chat", 0)
	if _, err := f.store.AcceptOffer(f.ctx, f.now, id+".1", "ana", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.TransferTask(f.ctx, f.now, id, "", "", "bob"); !errors.Is(err, queues.ErrForbidden) {
		t.Fatalf("bob transferring ana's task: %v", err)
	}
	if got, err := f.store.TransferTask(f.ctx, f.now, id, "billing-en", "", "ana"); err != nil || got != "" {
		t.Fatalf("transfer to billing: %q %v (offered straight back?)", got, err)
	}
	if tk := f.getTask(id); tk.State != queues.Queued {
		t.Fatalf("after the transfer: %+v", tk)
	}
	f.presence("bob", queues.Available)
	if tk := f.getTask(id); tk.Agent != "bob" {
		t.Fatalf("bob free: %+v", tk)
	}
}
