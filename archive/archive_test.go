package archive_test

import (
	"context"
	"testing"
	"time"

	"switchboard/archive"
	"switchboard/internal/pgtest"
	"switchboard/queues"
)

func open(t *testing.T) *archive.Archive {
	t.Helper()
	a, err := archive.Open(context.Background(), pgtest.Database(t), "ws")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if applied, err := a.Migrate(context.Background()); err != nil || len(applied) == 0 {
		t.Fatalf("migrations %v: %v", applied, err)
	}
	// A second start applies nothing.
	if applied, err := a.Migrate(context.Background()); err != nil || len(applied) != 0 {
		t.Fatalf("migrations again %v: %v", applied, err)
	}
	return a
}

var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func contact(id, customer, queue, channel string, created time.Time, handle time.Duration) archive.Contact {
	assigned := created.Add(30 * time.Second)
	ended := assigned.Add(handle)
	return archive.Contact{Task: queues.Task{ID: id, State: "completed", Kind: "contact", Channel: channel, Queue: queue,
		Agent: "ana", CustomerID: customer, CreatedAt: created, AssignedAt: &assigned, EndedAt: &ended,
		Clocks: []queues.Clock{}}, Messages: nil}
}

// First-contact resolution: a customer who comes back about the same skill
// on another channel within the window was not resolved at first contact
// (and the return is a repeat); one who does not come back, or comes back
// after the window or about another skill, was; one whose window is still
// running is not counted yet.
func TestFirstContactResolution(t *testing.T) {
	a := open(t)
	ctx := context.Background()
	skill := map[string]string{"support-es": "support", "support-en": "support", "billing-es": "billing"}
	b := archive.Batch{Contacts: []archive.Contact{
		contact("a1", "ana", "support-es", "whatsapp", day0, 5*time.Minute),
		contact("a2", "ana", "support-en", "email", day0.Add(3*24*time.Hour), 10*time.Minute), // back within 7 days
		contact("b1", "bea", "support-es", "voice", day0, 3*time.Minute),                      // never back
		contact("c1", "cai", "support-es", "chat", day0, 4*time.Minute),
		contact("c2", "cai", "support-es", "chat", day0.Add(9*24*time.Hour), 4*time.Minute), // back after the window
		contact("d1", "dan", "support-es", "sms", day0, 2*time.Minute),
		contact("d2", "dan", "billing-es", "sms", day0.Add(24*time.Hour), 2*time.Minute), // another skill
	}}
	if n, err := a.Write(ctx, b); err != nil || n != len(b.Contacts) {
		t.Fatalf("wrote %d: %v", n, err)
	}
	// Written again (a replay): nothing more.
	if n, err := a.Write(ctx, b); err != nil || n != 0 {
		t.Fatalf("replay wrote %d: %v", n, err)
	}
	now := day0.Add(30 * 24 * time.Hour)
	rep, err := a.Quality(ctx, day0, day0.Add(2*24*time.Hour), now, "channel", 7*24*time.Hour, skill)
	if err != nil {
		t.Fatal(err)
	}
	// In range: a1, b1, c1, d1 (created on day 0) and d2 (day 1).
	tot := rep.Total
	if tot.Contacts != 5 || tot.FCRDecided != 5 || tot.FCR == nil || *tot.FCR != 0.8 || tot.Repeat == nil || *tot.Repeat != 0 {
		t.Fatalf("total %+v (fcr %v)", tot, deref(tot.FCR))
	}
	by := map[string]archive.QualityRow{}
	for _, r := range rep.Rows {
		by[r.Key] = r
	}
	if w := by["whatsapp"]; w.FCR == nil || *w.FCR != 0 {
		t.Errorf("ana came back by e-mail within the window: whatsapp FCR %v", deref(w.FCR))
	}
	if v := by["voice"]; v.FCR == nil || *v.FCR != 1 || v.AHT == nil || *v.AHT != 180 {
		t.Errorf("bea: voice %+v", v)
	}
	// The returning contact is a repeat; seen from a range that holds it.
	rep, err = a.Quality(ctx, day0.Add(2*24*time.Hour), day0.Add(4*24*time.Hour), now, "queue", 7*24*time.Hour, skill)
	if err != nil || rep.Total.Contacts != 1 || rep.Total.Repeat == nil || *rep.Total.Repeat != 1 {
		t.Fatalf("repeat %+v: %v", rep.Total, err)
	}
	// Before the window has passed, a contact is pending, not resolved.
	rep, err = a.Quality(ctx, day0, day0.Add(24*time.Hour), day0.Add(2*24*time.Hour), "queue", 7*24*time.Hour, skill)
	if err != nil || rep.Total.FCRPending != 4 || rep.Total.FCRDecided != 0 || rep.Total.FCR != nil {
		t.Fatalf("pending %+v: %v", rep.Total, err)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
