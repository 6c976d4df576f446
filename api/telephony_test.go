package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/internal/twiliotest"
	"switchboard/queues"
	"switchboard/telephony"
)

const (
	accountSID  = "AC0123456789abcdef0123456789abcdef"
	authToken   = "0f1e2d3c4b5a69780f1e2d3c4b5a6978"
	publicURL   = "https://sb.example.com" // as Twilio sees us, behind a proxy
	ourNumber   = "+34910000001"
	waNumber    = "whatsapp:+14155238886"
	callerPhone = "+34600111222"
)

// fakeTwilio is a local stand-in for api.twilio.com that records each request
// exactly as Twilio would receive it.
type fakeTwilio struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []twilioRequest
	// mode is how the fake answers: "" as Twilio does, "down" 503, "hang"
	// never (until the client gives up), "gone" 404 as for a call that ended.
	mode string
}

type twilioRequest struct {
	Method, Path, User, Pass string
	Form                     url.Values
	Sid                      string // the sid the fake answered with
	Status                   int    // the status it answered (0: none)
}

func (f *fakeTwilio) setMode(m string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = m
}

// answered counts the requests to path the fake answered with success.
func (f *fakeTwilio) answered(suffix string) int {
	n := 0
	for _, r := range f.requests() {
		if strings.HasSuffix(r.Path, suffix) && r.Status < 300 && r.Status > 0 {
			n++
		}
	}
	return n
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		user, pass, _ := r.BasicAuth()
		f.mu.Lock()
		n := len(f.reqs) + 1
		req := twilioRequest{r.Method, r.URL.Path, user, pass, form, sid("SM", 1000+n), 0}
		f.reqs = append(f.reqs, req)
		mode := f.mode
		f.mu.Unlock()
		status := func(code int) {
			f.mu.Lock()
			f.reqs[n-1].Status = code
			f.mu.Unlock()
			w.WriteHeader(code)
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case mode == "hang":
			<-r.Context().Done()
		case mode == "down":
			status(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"code":20503,"message":"Service Unavailable","status":503}`)
		case mode == "gone":
			status(http.StatusNotFound)
			fmt.Fprint(w, `{"code":20404,"message":"The requested resource was not found","status":404}`)
		case strings.Contains(r.URL.Path, "/Calls/"):
			status(http.StatusOK)
			fmt.Fprintf(w, `{"sid":%q,"status":"in-progress"}`, strings.TrimSuffix(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], ".json"))
		case strings.HasSuffix(r.URL.Path, "/Messages.json"):
			status(http.StatusCreated)
			fmt.Fprintf(w, `{"sid":%q,"status":"queued"}`, req.Sid)
		default:
			status(http.StatusNotFound)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTwilio) requests() []twilioRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]twilioRequest(nil), f.reqs...)
}

func withTwilio(f *fakeTwilio) func(*config.Config) {
	return func(c *config.Config) {
		c.PublicBaseURL = publicURL
		c.Twilio = config.Twilio{AccountSID: accountSID, AuthToken: authToken, APIBaseURL: f.URL}
		c.Voice.IVR = nil
	}
}

// twilioPost sends a form to path signed for the public URL.
func (in *instance) twilioPost(path string, form url.Values) response {
	in.t.Helper()
	return in.signedForm(path, form, twiliotest.Sign(authToken, publicURL+path, form))
}

func (in *instance) signedForm(path string, form url.Values, sig string) response {
	in.t.Helper()
	return in.request("POST", path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "X-Twilio-Signature", sig)
}

func callForm(sid string) url.Values {
	return url.Values{"CallSid": {sid}, "AccountSid": {accountSID}, "From": {callerPhone}, "To": {ourNumber},
		"CallStatus": {"ringing"}, "Direction": {"inbound"}}
}

func messageForm(sid, text string) url.Values {
	return url.Values{"MessageSid": {sid}, "AccountSid": {accountSID}, "From": {"whatsapp:" + callerPhone},
		"To": {waNumber}, "Body": {text}, "NumMedia": {"0"}, "ProfileName": {"Lucía"}}
}

func sid(prefix string, n int) string { return fmt.Sprintf("%s%032x", prefix, n) }

func TestVoiceThenWhatsAppEndToEnd(t *testing.T) {
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw))
	// Ana serves Spanish support on voice and WhatsApp; Bruno too, and he has
	// been idle longer, so without a preference he would get the message.
	for _, a := range []string{
		`{"id":"bruno","name":"Bruno","time_zone":"Europe/Lisbon","languages":["es","pt"],"skills":{"support":3},"contact":"client:bruno"}`,
		`{"id":"ana","name":"Ana","time_zone":"Europe/Madrid","languages":["es","en"],"skills":{"support":4},"contact":"client:ana"}`,
	} {
		in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, a)
	}
	st := in.stream("ana", anaKey, "")
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)

	// 1. The call: signed webhook -> TwiML with the Spanish greeting (the number is Spanish).
	call := sid("CA", 1)
	r := in.twilioPost("/webhooks/twilio/voice", callForm(call))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/xml") ||
		!strings.Contains(string(r.body), `<Say language="es-ES">Gracias por llamar.`) || !strings.Contains(string(r.body), "<Play") {
		t.Fatalf("voice webhook: %d %s", r.status, r.body)
	}
	// 2. The offer reaches ana's stream.
	ev := st.next(t, "offer")
	var offer struct {
		OfferID string `json:"offer_id"`
		TaskID  string `json:"task_id"`
		Queue   string `json:"queue"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &offer)
	if offer.Queue != "support-es" {
		t.Fatalf("offer %s", ev.Data)
	}
	// 3. Accepting it makes the REST call that puts the caller through.
	in.must(http.StatusOK, "POST", "/v1/offers/"+offer.OfferID+"/accept", anaKey, "")
	reqs := tw.requests()
	if len(reqs) != 1 {
		t.Fatalf("twilio requests: %+v", reqs)
	}
	got := reqs[0]
	wantPath := "/2010-04-01/Accounts/" + accountSID + "/Calls/" + call + ".json"
	wantTwiML := `<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true"><Client>ana</Client></Dial></Response>`
	if got.Method != "POST" || got.Path != wantPath || got.User != accountSID || got.Pass != authToken || got.Form.Get("Twiml") != wantTwiML {
		t.Fatalf("connect request %+v\nwant POST %s with Twiml %s", got, wantPath, wantTwiML)
	}
	in.must(http.StatusOK, "POST", "/v1/tasks/"+offer.TaskID+"/complete", anaKey, `{"disposition":"refund explained"}`)
	in.must(http.StatusOK, "POST", "/v1/tasks/"+offer.TaskID+"/ready", anaKey, "")

	// 4. Later the same customer writes on WhatsApp. Bruno is available too,
	// but the offer goes first to ana, and carries the call.
	in.clock.Advance(2 * time.Hour)
	in.must(http.StatusOK, "PUT", "/v1/agents/bruno/presence", brunoKey, `{"presence":"available"}`)
	r = in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 2), "Hola otra vez, sobre el reembolso"))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "<Response") {
		t.Fatalf("messaging webhook: %d %s", r.status, r.body)
	}
	ev = st.next(t, "offer")
	var wa struct {
		OfferID  string          `json:"offer_id"`
		TaskID   string          `json:"task_id"`
		Channel  string          `json:"channel"`
		Customer json.RawMessage `json:"customer"`
		History  []struct {
			TaskID      string `json:"task_id"`
			Channel     string `json:"channel"`
			Agent       string `json:"agent"`
			Disposition string `json:"disposition"`
		} `json:"history"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &wa); err != nil {
		t.Fatal(err)
	}
	if wa.Channel != "whatsapp" || len(wa.History) != 1 || wa.History[0].TaskID != offer.TaskID ||
		wa.History[0].Channel != "voice" || wa.History[0].Agent != "ana" || wa.History[0].Disposition != "refund explained" {
		t.Fatalf("whatsapp offer: %s", ev.Data)
	}
	in.must(http.StatusOK, "POST", "/v1/offers/"+wa.OfferID+"/accept", anaKey, "")

	// 5. Her reply goes out from the number the customer wrote to.
	var sent struct {
		FirstResponse bool `json:"first_response"`
	}
	in.must(http.StatusCreated, "POST", "/v1/tasks/"+wa.TaskID+"/messages", anaKey, `{"text":"¡Hola Lucía! Ya está tramitado."}`).decode(t, &sent)
	reqs = tw.requests()
	msg := reqs[len(reqs)-1]
	if !sent.FirstResponse || msg.Path != "/2010-04-01/Accounts/"+accountSID+"/Messages.json" ||
		msg.Form.Get("From") != waNumber || msg.Form.Get("To") != "whatsapp:"+callerPhone || msg.Form.Get("Body") != "¡Hola Lucía! Ya está tramitado." ||
		msg.Form.Get("StatusCallback") != publicURL+"/webhooks/twilio/messaging/status" {
		t.Fatalf("send request %+v", msg)
	}
	// A follow-up joins the conversation and reaches ana's stream.
	in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 3), "¡Gracias!"))
	if m := st.next(t, "message"); !strings.Contains(m.Data, "¡Gracias!") {
		t.Fatalf("message event %s", m.Data)
	}
	var conv struct{ Messages []map[string]any }
	in.must(http.StatusOK, "GET", "/v1/tasks/"+wa.TaskID+"/messages", anaKey, "").decode(t, &conv)
	if len(conv.Messages) != 3 || conv.Messages[1]["direction"] != "out" {
		t.Fatalf("conversation %+v", conv.Messages)
	}
	// The delivery of the reply failed: recorded and shown to ana, once
	// however often Twilio reports it.
	for range 2 {
		in.twilioPost("/webhooks/twilio/messaging/status", url.Values{"MessageSid": {msg.Sid}, "AccountSid": {accountSID},
			"MessageStatus": {"undelivered"}, "ErrorCode": {"63016"}})
	}
	if f := st.next(t, "message.failed"); !strings.Contains(f.Data, "63016") {
		t.Fatalf("failure event %s", f.Data)
	}
	var failed struct {
		DeliveryFailures int `json:"delivery_failures"`
	}
	in.must(http.StatusOK, "GET", "/v1/tasks/"+wa.TaskID, anaKey, "").decode(t, &failed)
	if failed.DeliveryFailures != 1 {
		t.Fatalf("a repeated status report counted %d failures", failed.DeliveryFailures)
	}

	// The timeline holds both contacts, newest first.
	var task queues.Task
	in.must(http.StatusOK, "GET", "/v1/tasks/"+wa.TaskID, anaKey, "").decode(t, &task)
	var cu queues.Customer
	in.must(http.StatusOK, "GET", "/v1/customers/"+task.CustomerID+"/timeline", "sb_supervisor_dev", "").decode(t, &cu)
	in.must(http.StatusForbidden, "GET", "/v1/customers/"+task.CustomerID+"/timeline", anaKey, "")
	// Found by the number however it is written.
	var found queues.Customer
	in.must(http.StatusOK, "GET", "/v1/customers?phone=%2B34%20600%2011%2012%2022", "sb_supervisor_dev", "").decode(t, &found)
	if found.ID != task.CustomerID || len(found.Timeline) != 2 {
		t.Fatalf("by phone: %+v", found)
	}
	in.must(http.StatusNotFound, "GET", "/v1/customers?email=nobody@example.com", "sb_supervisor_dev", "")
	in.must(http.StatusUnprocessableEntity, "GET", "/v1/customers?phone=12", "sb_supervisor_dev", "")
	if len(cu.Timeline) != 2 || cu.Timeline[0].Channel != "whatsapp" || cu.Timeline[1].Channel != "voice" ||
		len(cu.Identities) != 1 || cu.Identities[0] != "phone:"+callerPhone || cu.Name != "Lucía" {
		t.Fatalf("timeline %+v", cu)
	}
}

func TestCallerHangsUpWhileWaiting(t *testing.T) {
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw))
	call := sid("CA", 7)
	if r := in.twilioPost("/webhooks/twilio/voice", callForm(call)); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	in.clock.Advance(47 * time.Second)
	form := url.Values{"CallSid": {call}, "AccountSid": {accountSID}, "CallStatus": {"completed"}}
	if r := in.twilioPost("/webhooks/twilio/voice/status", form); r.status != http.StatusNoContent {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	id, err := in.store.TaskByIdempotencyKey(t.Context(), "twilio:"+call)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := in.store.GetTask(t.Context(), id)
	if task.State != queues.Canceled || task.Reason != "abandoned" || *task.AbandonWait != 47*time.Second {
		t.Fatalf("%+v", task)
	}
	if _, err := in.consumer.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	body := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body)
	if !strings.Contains(body, `switchboard_abandoned_wait_seconds_count{channel="voice",queue="support-es"} 1`) ||
		!strings.Contains(body, `switchboard_abandoned_wait_seconds_bucket{channel="voice",queue="support-es",le="30"} 0`) {
		t.Fatalf("abandon metrics missing:\n%s", grep(body, "abandoned"))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Twilio retries: the same CallSid or MessageSid delivered many times at once
// makes one task.
func TestDuplicateDeliveriesMakeOneTask(t *testing.T) {
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw))
	call, msg := sid("CA", 9), sid("SM", 9)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				if r := in.twilioPost("/webhooks/twilio/voice", callForm(call)); r.status != http.StatusOK {
					t.Errorf("voice: %d %s", r.status, r.body)
				}
			} else if r := in.twilioPost("/webhooks/twilio/messaging", messageForm(msg, "hello")); r.status != http.StatusOK {
				t.Errorf("messaging: %d %s", r.status, r.body)
			}
		})
	}
	wg.Wait()
	evs, err := in.store.Outbox().Events(t.Context(), "0", 1000)
	if err != nil {
		t.Fatal(err)
	}
	created, received := 0, 0
	for _, e := range evs {
		switch e.Type {
		case "task.created":
			created++
		case "message.received":
			received++
		}
	}
	if created != 2 || received != 1 {
		t.Fatalf("%d tasks created and %d messages received, want 2 and 1", created, received)
	}
}

func TestWebhookSignaturesRefused(t *testing.T) {
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw))
	form := callForm(sid("CA", 3))
	good := twiliotest.Sign(authToken, publicURL+"/webhooks/twilio/voice", form)
	changed := callForm(sid("CA", 3))
	changed.Set("From", "+34600999999")
	cases := map[string]response{
		"missing":           in.signedForm("/webhooks/twilio/voice", form, ""),
		"wrong token":       in.signedForm("/webhooks/twilio/voice", form, twiliotest.Sign("wrong", publicURL+"/webhooks/twilio/voice", form)),
		"changed parameter": in.signedForm("/webhooks/twilio/voice", changed, good),
		"internal URL":      in.signedForm("/webhooks/twilio/voice", form, twiliotest.Sign(authToken, in.srv.URL+"/webhooks/twilio/voice", form)),
		"other endpoint":    in.signedForm("/webhooks/twilio/voice/status", form, good),
	}
	before := in.snapshot()
	for name, r := range cases {
		if r.status != http.StatusForbidden {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	body := []byte(`{"id":"e1","customer":{"id":"v1"},"text":"hi"}`)
	for name, sig := range map[string]string{
		"generic wrong secret": telephony.Sign("not-the-webchat-secret", body, in.clock.Now()),
		"generic stale":        telephony.Sign("dev-webchat-secret-change-me", body, in.clock.Now().Add(-10*time.Minute)),
	} {
		if r := in.request("POST", "/webhooks/generic/webchat", string(body), telephony.SignatureHeader, sig); r.status != http.StatusForbidden {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	if after := in.snapshot(); len(after) != len(before) {
		t.Fatal("a refused webhook wrote to Redis")
	}
	metrics := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body)
	if !strings.Contains(metrics, `switchboard_webhook_signature_failures_total{provider="twilio"} 5`) ||
		!strings.Contains(metrics, `switchboard_webhook_signature_failures_total{provider="webchat"} 2`) {
		t.Fatalf("signature failures not counted:\n%s", grep(metrics, "signature"))
	}
}

// One customer's flood is limited without slowing another's.
func TestWebhookRateLimitPerCustomer(t *testing.T) {
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw), func(c *config.Config) { c.RateLimits.WebhookCustomerPerMinute = 2 })
	flood := func(n int, from string) response {
		f := messageForm(sid("SM", n), "spam")
		f.Set("From", from)
		return in.twilioPost("/webhooks/twilio/messaging", f)
	}
	for i := range 2 {
		if r := flood(100+i, "+34600000001"); r.status != http.StatusOK {
			t.Fatalf("message %d: %d %s", i, r.status, r.body)
		}
	}
	r := flood(102, "+34600000001")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("third message: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if r := flood(103, "+34600000002"); r.status != http.StatusOK {
		t.Fatalf("another customer: %d %s", r.status, r.body)
	}
}

func TestAPIKeyRateLimit(t *testing.T) {
	in := newInstance(t, "", nil, func(c *config.Config) { c.RateLimits.APIKeyPerSecond = 3 })
	codes := map[int]int{}
	for range 6 {
		codes[in.do("GET", "/v1/agents", adminKey, "").status]++
	}
	if codes[200] < 3 || codes[429] == 0 {
		t.Fatalf("statuses %v", codes)
	}
	if r := in.do("GET", "/v1/agents", "sb_planner_dev", ""); r.status != http.StatusOK {
		t.Fatalf("another key limited: %d", r.status)
	}
}

// ivrInstance is an instance with Twilio and the example's IVR menus.
func ivrInstance(t *testing.T) *instance {
	return newInstance(t, "", nil, withTwilio(newFakeTwilio(t)), func(c *config.Config) {
		ex, _ := config.Parse(config.Example, nil)
		c.Voice.IVR = ex.Voice.IVR
	})
}

func TestIVRChoosesLanguageThenSkill(t *testing.T) {
	in := ivrInstance(t)
	call := sid("CA", 21)
	form := callForm(call)
	form.Set("From", "+14158675309") // a US number: without the IVR it would go to English
	r := in.twilioPost("/webhooks/twilio/voice", form)
	for _, want := range []string{`<Gather `, `numDigits="1"`, `action="/webhooks/twilio/voice/ivr?step=language"`, `Para español, pulse 2.`} {
		if !strings.Contains(string(r.body), want) {
			t.Fatalf("language menu lacks %s: %s", want, r.body)
		}
	}
	form.Set("Digits", "2")
	r = in.twilioPost("/webhooks/twilio/voice/ivr?step=language", form)
	if !strings.Contains(string(r.body), `action="/webhooks/twilio/voice/ivr?step=skill&amp;language=es"`) ||
		!strings.Contains(string(r.body), "Para facturación, pulse 2.") {
		t.Fatalf("skill menu: %s", r.body)
	}
	r = in.twilioPost("/webhooks/twilio/voice/ivr?step=skill&language=es", form)
	if !strings.Contains(string(r.body), `<Say language="es-ES">Gracias por llamar.`) {
		t.Fatalf("hold: %s", r.body)
	}
	id, err := in.store.TaskByIdempotencyKey(t.Context(), "twilio:"+call)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := in.store.GetTask(t.Context(), id)
	if task.Queue != "billing-es" || !strings.Contains(string(task.Attributes), `"language_from":"ivr"`) {
		t.Fatalf("task %+v", task)
	}
	// The query string is part of what Twilio signs: a choice cannot be forged.
	forged := in.signedForm("/webhooks/twilio/voice/ivr?step=skill&language=fr", form,
		twiliotest.Sign(authToken, publicURL+"/webhooks/twilio/voice/ivr?step=skill&language=es", form))
	if forged.status != http.StatusForbidden {
		t.Fatalf("forged step: %d", forged.status)
	}
}

// A caller who presses nothing has made no choice: the number's country
// decides the language (Spain: Spanish), the rule the skill.
func TestIVRWithoutAKeyIsNoChoice(t *testing.T) {
	in := ivrInstance(t)
	call := sid("CA", 22)
	form := callForm(call) // from +34: Spain
	in.twilioPost("/webhooks/twilio/voice", form)
	r := in.twilioPost("/webhooks/twilio/voice/ivr?step=language", form) // no Digits
	if !strings.Contains(string(r.body), `action="/webhooks/twilio/voice/ivr?step=skill&amp;language="`) ||
		!strings.Contains(string(r.body), `language="es-ES"`) {
		t.Fatalf("skill menu after no choice: %s", r.body)
	}
	in.twilioPost("/webhooks/twilio/voice/ivr?step=skill&language=", form) // nothing again
	id, err := in.store.TaskByIdempotencyKey(t.Context(), "twilio:"+call)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := in.store.GetTask(t.Context(), id)
	if !strings.HasSuffix(task.Queue, "-es") || !strings.Contains(string(task.Attributes), `"language_from":"country"`) {
		t.Fatalf("task %s %s", task.Queue, task.Attributes)
	}
}

func TestWebhookBadInputChangesNothing(t *testing.T) {
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw))
	post := func(path, body string) response {
		if strings.HasPrefix(path, "/webhooks/generic/") {
			return in.generic(path, body, "dev-webchat-secret-change-me", in.clock.Now())
		}
		form, _ := url.ParseQuery(body)
		return in.request("POST", path, body, "X-Twilio-Signature", twiliotest.Sign(authToken, publicURL+path, form))
	}
	giant := strings.Repeat("a", 2<<20)
	cases := []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"generic giant body", "/webhooks/generic/webchat", `{"id":"e1","text":"` + giant + `"}`, 413, "body"},
		{"generic bad UTF-8", "/webhooks/generic/webchat", "{\"id\":\"e1\",\"customer\":{\"id\":\"v\"},\"text\":\"\xff\xfe\"}", 422, "text"}, // the field named, as on the REST API
		{"generic unknown channel", "/webhooks/generic/webchat", `{"id":"e1","channel":"fax","customer":{"id":"v"}}`, 400, "channel"},
		{"generic channel of another source", "/webhooks/generic/webchat", `{"id":"e1","channel":"email","customer":{"id":"v"}}`, 400, "channel"},
		{"generic malformed", "/webhooks/generic/webchat", `{"id":`, 400, "body"},
		{"generic no id", "/webhooks/generic/webchat", `{"customer":{"id":"v"}}`, 400, "id"},
		{"generic unknown skill", "/webhooks/generic/webchat", `{"id":"e9","customer":{"id":"v"},"skill":"cooking"}`, 422, "skill"},
		{"generic unknown source", "/webhooks/generic/fax", `{}`, 404, "source"},
		{"twilio malformed form", "/webhooks/twilio/messaging", "MessageSid=%zz", 400, "body"},
		{"twilio giant form", "/webhooks/twilio/messaging", "Body=" + giant, 413, "body"},
		{"twilio bad UTF-8", "/webhooks/twilio/messaging", messageForm(sid("SM", 5), "\xff").Encode(), 400, "Body"},
		{"twilio bad sid", "/webhooks/twilio/voice", "CallSid=CA1&AccountSid=" + accountSID, 400, "CallSid"},
		{"twilio bad number", "/webhooks/twilio/messaging", url.Values{"MessageSid": {sid("SM", 6)}, "AccountSid": {accountSID}, "From": {"hello"}}.Encode(), 400, "From"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := in.snapshot()
			r := post(c.path, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, c.status, r.body)
			}
			var p struct {
				Errors []struct{ Field string }
			}
			_ = json.Unmarshal(r.body, &p)
			if len(p.Errors) == 0 || p.Errors[0].Field != c.field {
				t.Fatalf("problem %s, want field %s", r.body, c.field)
			}
			if after := in.snapshot(); !reflect.DeepEqual(before, after) {
				t.Fatal("refused input changed Redis")
			}
		})
	}
}

// Saturday night in Madrid: a caller hears that the queue is closed and can
// ask for a callback; a WhatsApp message gets an automatic reply saying when
// the answer is due (its clock paused until Monday's opening).
func TestClosedQueue(t *testing.T) {
	tw := newFakeTwilio(t)
	sat := clock.NewManual(time.Date(2026, 3, 7, 21, 0, 0, 0, time.UTC)) // 22:00 in Madrid
	in := newInstance(t, "", sat, withTwilio(tw))
	call := sid("CA", 31)
	r := in.twilioPost("/webhooks/twilio/voice", callForm(call))
	for _, want := range []string{"Nuestras oficinas están cerradas", "pulse 1", `action="/webhooks/twilio/voice/callback?language=es`, "<Hangup"} {
		if !strings.Contains(string(r.body), want) {
			t.Fatalf("closed TwiML lacks %q: %s", want, r.body)
		}
	}
	if _, err := in.store.TaskByIdempotencyKey(t.Context(), "twilio:"+call); err == nil {
		t.Fatal("a task was made before the caller asked for a callback")
	}
	form := callForm(call)
	form.Set("Digits", "1")
	r = in.twilioPost("/webhooks/twilio/voice/callback?language=es&ivr_language=&ivr_skill=", form)
	if !strings.Contains(string(r.body), "Le llamaremos") {
		t.Fatalf("callback confirmation: %s", r.body)
	}
	id, err := in.store.TaskByIdempotencyKey(t.Context(), "twilio:"+call+":callback")
	if err != nil {
		t.Fatal(err)
	}
	task, _ := in.store.GetTask(t.Context(), id)
	if task.Queue != "support-es" || !strings.Contains(string(task.Attributes), `"callback_number":"+34600111222"`) ||
		strings.Contains(string(task.Attributes), "call_sid") {
		t.Fatalf("callback task %+v %s", task, task.Attributes)
	}
	// The callback is an outbound call to make once the queue opens: an
	// agent available on Saturday night is not offered it, and its clock
	// does not run (nor breach) until Monday's opening.
	open := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	in.must(http.StatusCreated, "POST", "/v1/agents", "sb_planner_dev", anaJSON)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	if task, _ = in.store.GetTask(t.Context(), id); task.State != queues.Scheduled || task.Kind != "callback" ||
		task.NotBefore == nil || !task.NotBefore.Equal(open) || len(task.Clocks) != 0 {
		t.Fatalf("callback before the opening %+v", task)
	}
	sat.Set(open.Add(-time.Minute))
	if _, err := in.router.Tasks.FireDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if task, _ = in.store.GetTask(t.Context(), id); task.State != queues.Scheduled {
		t.Fatalf("started early: %+v", task)
	}
	sat.Set(open)
	if _, err := in.router.Tasks.FireDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	task, _ = in.store.GetTask(t.Context(), id)
	if task.State != queues.Reserved || task.Agent != "ana" || len(task.Clocks) != 1 || task.Clocks[0].State != "running" ||
		!task.Clocks[0].DueAt.After(open) {
		t.Fatalf("callback at the opening %+v", task)
	}
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"offline"}`)
	sat.Set(time.Date(2026, 3, 7, 21, 0, 0, 0, time.UTC))

	r = in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 31), "Hola, ¿a qué hora abren el lunes?"))
	// 15 min of business time after Monday's 09:00 opening: 09:15 CET,
	// written as the customer's language writes dates, in the queue's zone.
	if !strings.Contains(string(r.body), "<Message>Gracias por su mensaje. Ahora estamos cerrados y le responderemos antes del lunes, 9 de marzo de 2026 09:15 CET.</Message>") {
		t.Fatalf("automatic reply: %s", r.body)
	}
	// A chat runs on calendar time (due in 60 s), but no answer can come
	// before Monday's opening: the reply says 09:00.
	var ans struct {
		AutoReply string `json:"auto_reply"`
	}
	in.generic("/webhooks/generic/webchat", `{"id":"w1","customer":{"id":"v9"},"text":"Hola, ¿hay alguien ahí ahora mismo?"}`,
		"dev-webchat-secret-change-me", sat.Now()).decode(t, &ans)
	if ans.AutoReply != "Gracias por su mensaje. Ahora estamos cerrados y le responderemos antes del lunes, 9 de marzo de 2026 09:00 CET." {
		t.Fatalf("chat automatic reply %q", ans.AutoReply)
	}
	var q struct {
		Open     bool       `json:"open"`
		NextOpen *time.Time `json:"next_open"`
	}
	in.must(http.StatusOK, "GET", "/v1/queues/support-es", adminKey, "").decode(t, &q)
	if q.Open || q.NextOpen == nil || !q.NextOpen.Equal(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("queue %+v", q)
	}
}
