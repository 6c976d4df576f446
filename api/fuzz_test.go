package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/api"
	"switchboard/internal/twiliotest"
	"switchboard/queues"
	"switchboard/telephony"
)

// fuzzRequest sends body to the handler and checks what any input must get:
// never a 5xx; a refusal is problem+json naming a field and writes nothing.
func fuzzRequest(t *testing.T, in *instance, method, path, key, body string) {
	ctx := context.Background()
	before := in.rdb.XLen(ctx, queues.Prefix(in.ws)+"events").Val()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	in.srv.Config.Handler.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %q: status %d: %s", path, body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var p api.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code {
			t.Fatalf("%q: not a problem body: %s", body, rec.Body)
		}
		if rec.Code != http.StatusConflict && len(p.Errors) == 0 {
			t.Fatalf("%q: problem names no field: %s", body, rec.Body)
		}
		if after := in.rdb.XLen(ctx, queues.Prefix(in.ws)+"events").Val(); after != before {
			t.Fatalf("%q: refused with %d but wrote %d events", body, rec.Code, after-before)
		}
	}
}

func FuzzCreateTask(f *testing.F) {
	for _, s := range []string{
		`{"channel":"chat","queue":"support-en"}`,
		`{"channel":"voice","skill":"billing","language":"es","priority":5,"customer":{"phone":"+34600111222"},"idempotency_key":"CA1"}`,
		`{"channel":"email","queue":"sales-fr","attributes":{"subject":"Bonjour"}}`,
		`{"channel":"chat","queue":"support-en","priority":-1}`,
		`{"channel":"chat",`, `[]`, `null`, `{"channel":"\xff"}`, ``,
	} {
		f.Add(s)
	}
	in := newInstance(f, "", nil)
	f.Fuzz(func(t *testing.T, body string) {
		fuzzRequest(t, in, "POST", "/v1/tasks", adminKey, body)
	})
}

func FuzzPutAgent(f *testing.F) {
	for _, s := range []string{
		anaJSON,
		`{"id":"ana","name":"A","time_zone":"Asia/Tokyo","languages":["ja","en-US"],"skills":{"sales":5},"capacity":{"email":0}}`,
		`{"id":"ana","name":"A","time_zone":"Local","languages":["en"],"skills":{"support":1}}`,
		`{"id":"ana","skills":{"support":9}}`, `{"capacity":{"chat":1e99}}`, `{"languages":[1]}`, `{`, `"x"`,
	} {
		f.Add(s)
	}
	in := newInstance(f, "", nil)
	f.Fuzz(func(t *testing.T, body string) {
		fuzzRequest(t, in, "PUT", "/v1/agents/ana", "sb_planner_dev", body)
	})
}

// fuzzTwilio posts a fuzzed form, signed as Twilio would sign it, so that the
// input reaches the parser.
func fuzzTwilio(f *testing.F, path string, seeds ...url.Values) {
	for _, s := range seeds {
		f.Add(s.Encode())
	}
	f.Add("CallSid=CA&AccountSid=AC")
	f.Add("%zz")
	f.Add("Body=%ff%fe&From=whatsapp:%2B1")
	tw := newFakeTwilio(f)
	in := newInstance(f, "", nil, withTwilio(tw))
	f.Fuzz(func(t *testing.T, body string) {
		form, _ := url.ParseQuery(body)
		sig := twiliotest.Sign(authToken, publicURL+path, form)
		ctx := context.Background()
		before := in.rdb.XLen(ctx, queues.Prefix(in.ws)+"events").Val()
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("X-Twilio-Signature", sig)
		rec := httptest.NewRecorder()
		in.srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && in.rdb.XLen(ctx, queues.Prefix(in.ws)+"events").Val() != before {
			t.Fatalf("%q: refused with %d but wrote", body, rec.Code)
		}
	})
}

func FuzzTwilioVoice(f *testing.F) {
	fuzzTwilio(f, "/webhooks/twilio/voice", callForm(sid("CA", 1)))
}

func FuzzTwilioMessaging(f *testing.F) {
	m := messageForm(sid("SM", 1), "Hola")
	m.Set("NumMedia", "1")
	m.Set("MediaUrl0", "https://api.twilio.com/media/ME1")
	fuzzTwilio(f, "/webhooks/twilio/messaging", m, messageForm(sid("MM", 2), "x"))
}

func FuzzGenericWebhook(f *testing.F) {
	for _, s := range []string{
		`{"id":"e1","customer":{"id":"v1","name":"Ana"},"text":"Hola"}`,
		`{"id":"e2","channel":"chat","customer":{"phone":"+34600111222"},"text":"hi","language":"fr","skill":"sales","attributes":{"page":"/x"}}`,
		`{"id":"e3","channel":"fax","customer":{"id":"v1"}}`,
		`{"id":"e4","customer":{"email":"not an email"}}`, `{}`, `[`, "\xff",
	} {
		f.Add(s)
	}
	in := newInstance(f, "", nil)
	f.Fuzz(func(t *testing.T, body string) {
		ctx := context.Background()
		before := in.rdb.XLen(ctx, queues.Prefix(in.ws)+"events").Val()
		req := httptest.NewRequest("POST", "/webhooks/generic/webchat", strings.NewReader(body))
		req.Header.Set(telephony.SignatureHeader, telephony.Sign("dev-webchat-secret-change-me", []byte(body), in.clock.Now()))
		rec := httptest.NewRecorder()
		in.srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var p api.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Errors) == 0 {
				t.Fatalf("%q: %d without a field: %s", body, rec.Code, rec.Body)
			}
			if in.rdb.XLen(ctx, queues.Prefix(in.ws)+"events").Val() != before {
				t.Fatalf("%q: refused with %d but wrote", body, rec.Code)
			}
		}
	})
}

// Any Last-Event-ID gets a stream (caught up, or told its history is lost)
// or a 400 naming the field: never a 5xx or a connection closed unanswered.
func FuzzStreamPosition(f *testing.F) {
	for _, s := range []string{"0", "1700000000000-0", "1700000000000", "99999999999999-0",
		"18446744073709551615-18446744073709551615", "18446744073709551616-0", "-1", "1-", "", "a-b", "0-0"} {
		f.Add(s)
	}
	in := newInstance(f, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	f.Fuzz(func(t *testing.T, id string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", in.srv.URL+"/v1/agents/ana/stream?last_event_id="+url.QueryEscape(id), nil)
		req.Header.Set("Authorization", "Bearer "+anaKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		defer res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
			// The first event (a snapshot, history, or history.lost), or a
			// keep-alive when nothing came after the position.
			line, err := bufio.NewReader(res.Body).ReadString('\n')
			if err != nil || !(strings.HasPrefix(line, "id: ") || strings.HasPrefix(line, "event: ") || strings.HasPrefix(line, ": ")) {
				t.Fatalf("%q: first line %q %v", id, line, err)
			}
		case http.StatusBadRequest:
			var p api.Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil || len(p.Errors) == 0 || p.Errors[0].Field != "Last-Event-ID" {
				t.Fatalf("%q: 400 without the field: %+v %v", id, p, err)
			}
		default:
			t.Fatalf("%q: status %d", id, res.StatusCode)
		}
	})
}
