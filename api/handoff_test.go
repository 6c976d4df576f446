package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/config"
	"switchboard/queues"
)

// callTask is a voice task as the API shows it.
type callTask struct {
	ID            string     `json:"id"`
	State         string     `json:"state"`
	Agent         string     `json:"agent"`
	Reason        string     `json:"reason"`
	CreatedAt     time.Time  `json:"created_at"`
	FirstResponse *time.Time `json:"first_response_at"`
	Connect       string     `json:"connect"`
	ConnectError  string     `json:"connect_error"`
	SendFailures  int        `json:"send_failures"`
}

func (in *instance) callTask(id string) callTask {
	in.t.Helper()
	var t callTask
	if err := json.Unmarshal(in.must(http.StatusOK, "GET", "/v1/tasks/"+id, adminKey, "").body, &t); err != nil {
		in.t.Fatal(err)
	}
	return t
}

// voiceLoad is how many calls the agent holds.
func (in *instance) voiceLoad(agent string) int {
	in.t.Helper()
	a, err := in.store.GetAgent(context.Background(), agent)
	if err != nil {
		in.t.Fatal(err)
	}
	return a.Load["voice"]
}

// ringAna has a caller reach ana (bruno is away): it returns the offer.
func ringAna(t *testing.T, in *instance, st *sse, call string) (offer, task string) {
	t.Helper()
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	if r := in.twilioPost("/webhooks/twilio/voice", callForm(call)); r.status != http.StatusOK {
		t.Fatalf("voice webhook: %d %s", r.status, r.body)
	}
	var o struct {
		OfferID string `json:"offer_id"`
		TaskID  string `json:"task_id"`
	}
	_ = json.Unmarshal([]byte(st.next(t, "offer").Data), &o)
	return o.OfferID, o.TaskID
}

func handoffInstance(t *testing.T, tw *fakeTwilio, opts ...func(*config.Config)) (*instance, *sse) {
	in := newInstance(t, "", nil, append([]func(*config.Config){withTwilio(tw)}, opts...)...)
	for _, a := range []string{
		`{"id":"ana","name":"Ana","time_zone":"Europe/Madrid","languages":["es","en"],"skills":{"support":4},"contact":"client:ana"}`,
		`{"id":"bruno","name":"Bruno","time_zone":"Europe/Lisbon","languages":["es","pt"],"skills":{"support":3},"contact":"client:bruno"}`,
	} {
		in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, a)
	}
	return in, in.stream("ana", anaKey, "")
}

// drainHandoffs advances the clock past each retry and attempts what is due,
// until the hand-offs are all done or failed; it returns the attempts made.
func (in *instance) drainHandoffs(max int) int {
	in.t.Helper()
	n := 0
	for range max {
		in.clock.Advance(10 * time.Second)
		got, err := in.handoffs.Drain(context.Background(), 100)
		if err != nil {
			in.t.Fatal(err)
		}
		n += got
		if left, _ := in.store.Handoffs().Pending(context.Background()); left == 0 {
			return n
		}
	}
	return n
}

// Twilio down at the accept: the accept commits, the caller is not yet
// answered, ana's line stays hers; when Twilio recovers the call is put
// through once and the first response is met then.
func TestAcceptWhileTwilioIsDownConnectsOnceItRecovers(t *testing.T) {
	tw := newFakeTwilio(t)
	in, st := handoffInstance(t, tw)
	offer, task := ringAna(t, in, st, sid("CA", 1))
	tw.setMode("down")
	in.must(http.StatusOK, "POST", "/v1/offers/"+offer+"/accept", anaKey, "")
	got := in.callTask(task)
	if got.State != queues.Assigned || got.Agent != "ana" || got.Connect != "pending" || got.FirstResponse != nil {
		t.Fatalf("after a failed first attempt: %+v", got)
	}
	if in.voiceLoad("ana") != 1 {
		t.Fatalf("ana's voice load %d, want 1 (the call is hers)", in.voiceLoad("ana"))
	}
	// Two more attempts fail; then Twilio comes back.
	in.clock.Advance(10 * time.Second)
	if n, err := in.handoffs.Drain(context.Background(), 10); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	tw.setMode("")
	if n := in.drainHandoffs(5); n != 1 {
		t.Fatalf("attempts after recovery: %d, want 1", n)
	}
	got = in.callTask(task)
	if got.Connect != "connected" || got.FirstResponse == nil || got.State != queues.Assigned {
		t.Fatalf("after recovery: %+v", got)
	}
	if n := tw.answered("/Calls/" + sid("CA", 1) + ".json"); n != 1 {
		t.Fatalf("the call was put through %d times, want once", n)
	}
	st.next(t, "call.connected")
	// Nothing is left to retry, and a later poll does not connect again.
	if n := in.drainHandoffs(2); n != 0 || tw.answered("/Calls/"+sid("CA", 1)+".json") != 1 {
		t.Fatalf("after done: %d more attempts", n)
	}
}

// Twilio never recovers: after the last attempt the call goes back to its
// queue keeping its age, ana's capacity is freed and she is told why, and
// the next agent gets the offer.
func TestTwilioFailingForGoodRequeuesTheCall(t *testing.T) {
	tw := newFakeTwilio(t)
	in, st := handoffInstance(t, tw)
	offer, task := ringAna(t, in, st, sid("CA", 2))
	created := in.callTask(task).CreatedAt
	tw.setMode("down")
	in.must(http.StatusOK, "POST", "/v1/offers/"+offer+"/accept", anaKey, "")
	in.must(http.StatusOK, "PUT", "/v1/agents/bruno/presence", brunoKey, `{"presence":"available"}`)
	bruno := in.stream("bruno", brunoKey, "")
	if n := in.drainHandoffs(10); n != 4 {
		t.Fatalf("%d retries, want 4 (5 attempts in all)", n)
	}
	ev := st.next(t, "task.handoff_failed")
	if !strings.Contains(ev.Data, `"next":"requeued"`) || !strings.Contains(ev.Data, "503") {
		t.Fatalf("ana was told: %s", ev.Data)
	}
	if in.voiceLoad("ana") != 0 {
		t.Fatalf("ana still holds %d calls", in.voiceLoad("ana"))
	}
	got := in.callTask(task)
	if got.State != queues.Reserved || got.Agent != "bruno" || !got.CreatedAt.Equal(created) || got.Connect != "failed" {
		t.Fatalf("after the last attempt: %+v (created %s)", got, created)
	}
	if !strings.Contains(bruno.next(t, "offer").Data, task) {
		t.Fatal("bruno was not offered the call")
	}
	if tw.answered(".json") != 0 {
		t.Fatal("a request succeeded while Twilio was down")
	}
}

// A Twilio that does not answer costs one attempt's timeout, not the
// client's patience: the accept returns and the attempt is retried.
func TestHangingTwilioIsBoundedByTheAttemptTimeout(t *testing.T) {
	tw := newFakeTwilio(t)
	in, st := handoffInstance(t, tw, func(c *config.Config) { c.Twilio.APITimeout = 300 * time.Millisecond })
	offer, task := ringAna(t, in, st, sid("CA", 3))
	tw.setMode("hang")
	in.must(http.StatusOK, "POST", "/v1/offers/"+offer+"/accept", anaKey, "")
	if got := in.callTask(task); got.Connect != "pending" {
		t.Fatalf("after a hanging attempt: %+v", got)
	}
	tw.setMode("")
	if n := in.drainHandoffs(5); n != 1 || in.callTask(task).Connect != "connected" {
		t.Fatalf("after recovery: %d attempts, %+v", n, in.callTask(task))
	}
}

// The caller hung up before the call could be put through: Twilio answers
// 404, the task is canceled (no retry) and ana is free.
func TestCallerGoneBeforeConnectCancels(t *testing.T) {
	tw := newFakeTwilio(t)
	in, st := handoffInstance(t, tw)
	offer, task := ringAna(t, in, st, sid("CA", 4))
	tw.setMode("gone")
	in.must(http.StatusOK, "POST", "/v1/offers/"+offer+"/accept", anaKey, "")
	got := in.callTask(task)
	if got.State != queues.Canceled || got.Reason != "caller_gone" || in.voiceLoad("ana") != 0 {
		t.Fatalf("after 404: %+v, ana's load %d", got, in.voiceLoad("ana"))
	}
	if ev := st.next(t, "task.canceled"); !strings.Contains(ev.Data, "caller_gone") {
		t.Fatalf("ana was told %s", ev.Data)
	}
	if left, _ := in.store.Handoffs().Pending(context.Background()); left != 0 {
		t.Fatalf("%d hand-offs left", left)
	}
}

// A reply while Twilio is down is recorded as sending (202), retried, and
// sent once when Twilio recovers; one that never goes is marked failed on
// the task and the agent hears of it.
func TestRepliesAreRetriedAndFailuresShow(t *testing.T) {
	tw := newFakeTwilio(t)
	in, st := handoffInstance(t, tw)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 1), "Hola, necesito ayuda"))
	var o struct {
		OfferID string `json:"offer_id"`
		TaskID  string `json:"task_id"`
	}
	_ = json.Unmarshal([]byte(st.next(t, "offer").Data), &o)
	in.must(http.StatusOK, "POST", "/v1/offers/"+o.OfferID+"/accept", anaKey, "")

	tw.setMode("down")
	var rep struct {
		MessageID string `json:"message_id"`
		Status    string `json:"status"`
	}
	in.must(http.StatusAccepted, "POST", "/v1/tasks/"+o.TaskID+"/messages", anaKey, `{"text":"Claro, dime"}`).decode(t, &rep)
	if rep.Status != "sending" || rep.MessageID == "" {
		t.Fatalf("reply while down: %+v", rep)
	}
	msgs := func() []map[string]any {
		var out struct {
			Messages []map[string]any `json:"messages"`
		}
		in.must(http.StatusOK, "GET", "/v1/tasks/"+o.TaskID+"/messages", anaKey, "").decode(t, &out)
		return out.Messages
	}
	if m := msgs(); m[len(m)-1]["status"] != "sending" {
		t.Fatalf("messages: %v", m)
	}
	tw.setMode("")
	in.drainHandoffs(5)
	if m := msgs(); m[len(m)-1]["status"] != "sent" || m[len(m)-1]["provider_id"] == "" {
		t.Fatalf("after recovery: %v", m[len(m)-1])
	}
	if n := tw.answered("/Messages.json"); n != 1 {
		t.Fatalf("sent %d times, want once", n)
	}
	if ct := in.callTask(o.TaskID); ct.FirstResponse == nil {
		t.Fatalf("first response not met by the sent reply: %+v", ct)
	}

	// Down for good: the reply fails after the last attempt.
	tw.setMode("down")
	in.must(http.StatusAccepted, "POST", "/v1/tasks/"+o.TaskID+"/messages", anaKey, `{"text":"¿Sigues ahí?"}`)
	in.drainHandoffs(10)
	if m := msgs(); m[len(m)-1]["status"] != "failed" || !strings.Contains(m[len(m)-1]["error"].(string), "503") {
		t.Fatalf("after the last attempt: %v", m[len(m)-1])
	}
	if ct := in.callTask(o.TaskID); ct.SendFailures != 1 {
		t.Fatalf("send failures %d", ct.SendFailures)
	}
	st.next(t, "message.failed")
}

// The caller hangs up while talking to ana: she is told (call.ended), once,
// and the task stays hers to complete.
func TestCallerHangsUpDuringTheCall(t *testing.T) {
	tw := newFakeTwilio(t)
	in, st := handoffInstance(t, tw)
	call := sid("CA", 9)
	offer, task := ringAna(t, in, st, call)
	in.must(http.StatusOK, "POST", "/v1/offers/"+offer+"/accept", anaKey, "")
	form := url.Values{"CallSid": {call}, "AccountSid": {accountSID}, "CallStatus": {"completed"}}
	for range 2 { // Twilio may report it twice
		if r := in.twilioPost("/webhooks/twilio/voice/status", form); r.status != http.StatusNoContent {
			t.Fatalf("status: %d %s", r.status, r.body)
		}
	}
	if ev := st.next(t, "call.ended"); !strings.Contains(ev.Data, task) {
		t.Fatalf("ana was told %s", ev.Data)
	}
	if got := in.callTask(task); got.State != queues.Assigned || got.Agent != "ana" {
		t.Fatalf("after the hang-up: %+v", got)
	}
	in.must(http.StatusOK, "POST", "/v1/tasks/"+task+"/complete", anaKey, `{"disposition":"caller hung up"}`)
	n := 0
	evs, err := in.store.Outbox().Events(context.Background(), "0", 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == "call.ended" && e.Fields["task"] == task {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("call.ended %d times", n)
	}
}
