package queues_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"switchboard/internal/redistest"
	"switchboard/queues"
)

func (f *fixture) contact(id, channel, identity, text string, join bool) queues.Created {
	f.t.Helper()
	msg := ""
	if text != "" {
		msg = `{"direction":"in","text":"` + text + `"}`
	}
	cr, err := f.store.CreateTask(f.ctx, f.now, queues.NewTask{
		ID: id, IdempotencyKey: "ev-" + id, IdempotencyTTL: time.Hour, Channel: channel, Queue: "q",
		DueAt: f.now.Add(time.Minute), OfferTimeout: 20 * time.Second, Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`),
		IdentityKeys: []string{identity}, NewCustomerID: "cus-" + id, Message: json.RawMessage(msg), Join: join,
		PreferredWindow: 72 * time.Hour, PreferredWait: 20 * time.Second,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return cr
}

// One customer across channels: a WhatsApp message from the number that
// called earlier is the same customer; the offer carries the call; a second
// message joins the open conversation; a returning customer goes first to
// the agent who served them last.
func TestCustomerAcrossChannels(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"voice": 1, "whatsapp": 2}, el("q", 3))
	f.agent("bob", map[string]int{"voice": 1, "whatsapp": 2}, el("q", 3))
	f.presence("ana", queues.Available)
	f.advance(time.Second)
	f.presence("bob", queues.Available)

	call := f.contact("call1", "voice", "phone:+34600111222", "", false)
	if call.Agent != "ana" || call.CustomerID != "cus-call1" {
		t.Fatalf("call: %+v", call)
	}
	if _, err := f.store.AcceptOffer(f.ctx, f.now, "call1.1", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CompleteTask(f.ctx, f.now, "call1", "", "billing question"); err != nil {
		t.Fatal(err)
	}
	f.advance(30 * time.Second)
	if _, err := f.store.FireTimers(f.ctx, f.now, 10); err != nil { // wrap-up ends
		t.Fatal(err)
	}

	// ana is now the longest busy; bob longest idle. The customer writes on
	// WhatsApp: same customer, and the preferred agent ana gets it first.
	f.advance(time.Hour)
	wa := f.contact("wa1", "whatsapp", "phone:+34600111222", "Hola", true)
	if wa.CustomerID != "cus-call1" || wa.Joined || wa.Agent != "ana" {
		t.Fatalf("whatsapp: %+v", wa)
	}
	tail, _ := f.store.Streams().AgentStreamTail(f.ctx, "ana")
	// A second message joins the open conversation, and reaches ana.
	again := f.contact("wa2", "whatsapp", "phone:+34600111222", "¿Hay alguien?", true)
	if !again.Joined || again.TaskID != "wa1" {
		t.Fatalf("second message: %+v", again)
	}
	msgs, _, _ := f.store.Streams().AgentHistory(f.ctx, "ana", tail, 10)
	if len(msgs) != 1 || msgs[0].Type != "message" || !strings.Contains(msgs[0].Data, "¿Hay alguien?") {
		t.Fatalf("ana's stream: %+v", msgs)
	}
	conv, _ := f.store.Messages(f.ctx, "wa1")
	if len(conv) != 2 {
		t.Fatalf("conversation: %s", conv)
	}
	// The WhatsApp offer carried the call in its history.
	all, _, _ := f.store.Streams().AgentHistory(f.ctx, "ana", "0", 100)
	var offer struct {
		TaskID  string `json:"task_id"`
		History []struct {
			TaskID                      string `json:"task_id"`
			Channel, Disposition, Agent string
		} `json:"history"`
	}
	for _, m := range all {
		if m.Type == "offer" && strings.Contains(m.Data, `"task_id":"wa1"`) {
			if err := json.Unmarshal([]byte(m.Data), &offer); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(offer.History) != 1 || offer.History[0].TaskID != "call1" || offer.History[0].Channel != "voice" ||
		offer.History[0].Disposition != "billing question" || offer.History[0].Agent != "ana" {
		t.Fatalf("offer history: %+v", offer)
	}

	// The same event delivered again makes nothing new.
	dup := f.contact("wa2", "whatsapp", "phone:+34600111222", "¿Hay alguien?", true)
	if !dup.Duplicate || dup.TaskID != "wa1" {
		t.Fatalf("redelivery: %+v", dup)
	}
	if conv, _ := f.store.Messages(f.ctx, "wa1"); len(conv) != 2 {
		t.Fatalf("redelivery added a message: %d", len(conv))
	}

	c, err := f.store.GetCustomer(f.ctx, "cus-call1", 10)
	if err != nil || len(c.Timeline) != 2 || c.Timeline[0].ID != "wa1" || c.LastAgent != "ana" {
		t.Fatalf("customer: %+v %v", c, err)
	}
}

func TestPreferredAgentWaitsThenQueueAtLarge(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("q", 3))
	f.agent("bob", map[string]int{"chat": 1}, el("q", 3))
	f.presence("ana", queues.Available)
	first := f.contact("c1", "chat", "web:v1", "hi", true)
	if first.Agent != "ana" {
		t.Fatalf("first: %+v", first)
	}
	if _, err := f.store.AcceptOffer(f.ctx, f.now, "c1.1", "", false); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CancelTask(f.ctx, f.now, "c1", "ended"); err != nil {
		t.Fatal(err)
	}
	// ana goes away; bob is free. The customer returns: it waits for ana.
	f.presence("ana", queues.Away)
	f.presence("bob", queues.Available)
	second := f.contact("c2", "chat", "web:v1", "back again", true)
	if second.Agent != "" || f.getTask("c2").PreferredAgent != "ana" {
		t.Fatalf("second: %+v", second)
	}
	// After the preferred wait, bob gets it.
	f.advance(20 * time.Second)
	if fired, _ := f.store.FireTimers(f.ctx, f.now, 10); fired.Offers != 1 {
		t.Fatalf("not routed after the wait: %+v", fired)
	}
	if tk := f.getTask("c2"); tk.Agent != "bob" {
		t.Fatalf("after wait: %+v", tk)
	}
}

// A preferred agent who is offline cannot come free: the returning
// customer goes to the queue at large at once.
func TestPreferredAgentOfflineIsNotWaitedFor(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("q", 3))
	f.agent("bob", map[string]int{"chat": 1}, el("q", 3))
	f.presence("ana", queues.Available)
	f.contact("c1", "chat", "web:v1", "hi", true)
	if _, err := f.store.AcceptOffer(f.ctx, f.now, "c1.1", "", false); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CancelTask(f.ctx, f.now, "c1", "ended"); err != nil {
		t.Fatal(err)
	}
	f.presence("ana", queues.Offline)
	f.presence("bob", queues.Available)
	if second := f.contact("c2", "chat", "web:v1", "back again", true); second.Agent != "bob" {
		t.Fatalf("waited for an offline agent: %+v", second)
	}
}

func TestAbandonRecordsWait(t *testing.T) {
	f := newFixture(t)
	f.contact("v1", "voice", "phone:+14158675309", "", false)
	f.advance(42 * time.Second)
	if err := f.store.CancelTask(f.ctx, f.now, "v1", "abandoned"); err != nil {
		t.Fatal(err)
	}
	tk := f.getTask("v1")
	if tk.State != queues.Canceled || tk.Reason != "abandoned" || tk.AbandonWait == nil || *tk.AbandonWait != 42*time.Second {
		t.Fatalf("%+v", tk)
	}
}

// A contact that gives several identities links them all to one customer.
func TestIdentitiesLinkToOneCustomer(t *testing.T) {
	f := newFixture(t)
	f.contact("s1", "sms", "phone:+34600111222", "hola", true)
	cr, err := f.store.CreateTask(f.ctx, f.now, queues.NewTask{
		ID: "e1", Channel: "email", Queue: "q", DueAt: f.now, OfferTimeout: time.Second,
		Customer: json.RawMessage(`{}`), Attributes: json.RawMessage(`{}`),
		IdentityKeys: []string{"email:ana@example.com", "phone:+34600111222"}, NewCustomerID: "cus-new",
	})
	if err != nil || cr.CustomerID != "cus-s1" {
		t.Fatalf("%+v %v", cr, err)
	}
	if id, _ := f.store.CustomerByIdentity(f.ctx, "email:ana@example.com"); id != "cus-s1" {
		t.Fatalf("email linked to %q", id)
	}
	c, _ := f.store.GetCustomer(f.ctx, "cus-s1", 10)
	if strings.Join(c.Identities, ",") != "email:ana@example.com,phone:+34600111222" || len(c.Timeline) != 2 {
		t.Fatalf("customer %+v", c)
	}
}

// Service-level buckets expire (40 days) and answering keeps the expiry.
func TestServiceLevelBucketExpires(t *testing.T) {
	f := newFixture(t)
	f.agent("ana", map[string]int{"chat": 1}, el("q", 3))
	id, _ := f.task("q", "chat", 0)
	f.presence("ana", queues.Available)
	if _, err := f.store.AcceptOffer(f.ctx, f.now, id+".1", "", false); err != nil {
		t.Fatal(err)
	}
	keys, err := redistest.Keys(f.ctx, f.rdb, queues.Prefix(f.ws)+"sl:q:*")
	if err != nil || len(keys) != 1 {
		t.Fatalf("buckets %v %v", keys, err)
	}
	if ttl := f.rdb.TTL(f.ctx, keys[0]).Val(); ttl < 39*24*time.Hour || ttl > 40*24*time.Hour {
		t.Fatalf("ttl %s", ttl)
	}
	c, _ := f.store.Figures().ServiceCounts(f.ctx, []string{"q"}, f.now, f.now)
	if got := c["q"]["chat"]; got.Offered != 1 || got.Answered != 1 || got.Accepted != 1 {
		t.Fatalf("counts %+v", got)
	}
}
