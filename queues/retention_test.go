package queues_test

import (
	"testing"
	"time"

	"switchboard/queues"
)

func retentionFixture(t *testing.T, retention time.Duration) *fixture {
	f := newFixture(t)
	f.store = queues.New(f.rdb, f.ws, queues.Settings{MaxMissedOffers: 2, ReofferDelay: 10 * time.Second,
		AgentStreamLength: 100, EventsLength: 100000, TimelineInOffer: 3, Retention: retention})
	return f
}

// Finished work expires a retention time after it ends (the scripts' now,
// not the server's: t0 is months ago, so a week after it has passed): the
// task, its messages, the customer and the identity go; the indexes drop
// the task when trimmed. A customer with another contact still open stays.
func TestRetentionExpiresFinishedWork(t *testing.T) {
	f := retentionFixture(t, 7*24*time.Hour)
	f.agent("ana", map[string]int{"chat": 2}, el("q", 3))
	f.presence("ana", queues.Available)
	done := f.contact("c1", "chat", "email:ana@example.com", "hello", false)
	open := f.contact("c2", "chat", "email:bob@example.com", "hi", false)
	if done.Agent != "ana" || open.Agent != "ana" {
		t.Fatalf("offers %+v %+v", done, open)
	}
	for _, id := range []string{"c1", "c2"} {
		tk := f.getTask(id)
		if _, err := f.store.AcceptOffer(f.ctx, f.now, tk.Offer, "", false); err != nil {
			t.Fatal(err)
		}
	}
	pre := queues.Prefix(f.ws)
	if ttl := f.rdb.PTTL(f.ctx, pre+"task:c1").Val(); ttl != -1 {
		t.Fatalf("an open task has a time to live: %v", ttl)
	}
	f.advance(time.Minute)
	if _, err := f.store.CompleteTask(f.ctx, f.now, "c1", "ana", "solved"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"task:c1", "task:c1:messages", "customer:cus-c1", "customer:cus-c1:identities",
		"customer:cus-c1:timeline", "identity:email:ana@example.com"} {
		if n := f.rdb.Exists(f.ctx, pre+k).Val(); n != 0 {
			t.Errorf("%s still there a week after the contact ended", k)
		}
	}
	for _, k := range []string{"task:c2", "task:c2:messages", "customer:cus-c2", "identity:email:bob@example.com"} {
		if ttl := f.rdb.PTTL(f.ctx, pre+k).Val(); ttl != -1 {
			t.Errorf("%s of an open contact: time to live %v", k, ttl)
		}
	}
	if _, err := f.store.GetTask(f.ctx, "c1"); err == nil {
		t.Fatal("the expired task is still readable")
	}
	removed, err := f.store.TrimIndexes(f.ctx, f.now.Add(8*24*time.Hour), 7*24*time.Hour, []string{"q"})
	if err != nil || removed != 3 {
		t.Fatalf("trimmed %d (want c1 from all tasks, the queue's and the agent's index): %v", removed, err)
	}
	for _, k := range []string{"tasks", "tasks:queue:q", "tasks:agent:ana"} {
		if _, err := f.rdb.ZScore(f.ctx, pre+k, "c1").Result(); err == nil {
			t.Errorf("%s still lists c1", k)
		}
		if _, err := f.rdb.ZScore(f.ctx, pre+k, "c2").Result(); err != nil {
			t.Errorf("%s lost the open c2", k)
		}
	}
}

// Before the retention time is up, finished work is there with its expiry
// set; a customer who comes back keeps their history and identity.
func TestRetentionKeepsRecentWork(t *testing.T) {
	// t0 plus a retention reaching past today's server clock.
	f := retentionFixture(t, time.Since(t0)+30*24*time.Hour)
	f.agent("ana", map[string]int{"chat": 2}, el("q", 3))
	f.presence("ana", queues.Available)
	f.contact("c1", "chat", "email:ana@example.com", "hello", false)
	if err := f.store.CancelTask(f.ctx, f.now, "c1", "spam"); err != nil {
		t.Fatal(err)
	}
	pre := queues.Prefix(f.ws)
	for _, k := range []string{"task:c1", "customer:cus-c1", "identity:email:ana@example.com"} {
		if ttl := f.rdb.PTTL(f.ctx, pre+k).Val(); ttl <= 0 {
			t.Errorf("%s: time to live %v, want one set", k, ttl)
		}
	}
	back := f.contact("c2", "chat", "email:ana@example.com", "again", false)
	if back.CustomerID != "cus-c1" {
		t.Fatalf("returning customer became %q", back.CustomerID)
	}
	if ttl := f.rdb.PTTL(f.ctx, pre+"identity:email:ana@example.com").Val(); ttl != -1 {
		t.Fatalf("identity of a customer with an open contact expires (%v)", ttl)
	}
	cu, err := f.store.GetCustomer(f.ctx, "cus-c1", 10)
	if err != nil || len(cu.Timeline) != 2 {
		t.Fatalf("timeline %+v: %v", cu, err)
	}
}
