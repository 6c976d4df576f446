package api_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"switchboard/config"
)

// Invalid UTF-8 and NUL characters are refused on the REST API as on the
// webhooks, naming the field, and nothing is written.
func TestRESTRefusesBadText(t *testing.T) {
	in := newInstance(t, "", nil)
	before := in.snapshot()
	for _, c := range []struct{ body, field string }{
		{"{\"channel\":\"chat\",\"queue\":\"support-en\",\"customer\":{\"name\":\"L\xffa\"}}", "customer.name"},
		{`{"channel":"chat","queue":"support-en","attributes":{"order":"a\u0000b"}}`, "attributes.order"},
		{`{"channel":"chat","queue":"support-en","attributes":{"a":"\ud800"}}`, "attributes.a"},
	} {
		r := in.do("POST", "/v1/tasks", "sb_supervisor_dev", c.body)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"`+c.field+`"`) {
			t.Errorf("%q: %d %s", c.body, r.status, r.body)
		}
	}
	// The generic webhook keeps the same rules.
	for body, field := range map[string]string{
		`{"id":"n1","customer":{"id":"v1"},"text":"a\u0000b"}`: "text",
		"{\"id\":\"n2\",\"customer\":{\"id\":\"v\xff\"}}":      "customer.id",
		`{"id":"n3","customer":{"id":"v1","name":"\udc00"}}`:   "customer.name",
	} {
		r := in.generic("/webhooks/generic/webchat", body, "dev-webchat-secret-change-me", in.clock.Now())
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("webhook %q: %d %s", body, r.status, r.body)
		}
	}
	if after := in.snapshot(); !maps.Equal(before, after) {
		t.Fatal("a refused request wrote to Redis")
	}
}

// Guessing keys is slowed: past failed_auth_per_minute failures from one
// address, 429 with Retry-After; a valid key is not held back.
func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	// The default users get (the other tests run without rate limits).
	in := newInstance(t, "", nil, func(c *config.Config) { c.RateLimits.FailedAuthPerMinute = 30 })
	limit := in.router.Config().RateLimits.FailedAuthPerMinute
	for i := range limit {
		if r := in.do("GET", "/v1/agents", "sb_guess_"+strings.Repeat("x", i), ""); r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.status)
		}
	}
	r := in.do("GET", "/v1/agents", "sb_guess_more", "")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("attempt %d: %d %s", limit+1, r.status, r.body)
	}
	if r := in.do("GET", "/v1/agents", "", ""); r.status != http.StatusTooManyRequests {
		t.Fatalf("no key after the limit: %d", r.status)
	}
	in.must(http.StatusOK, "GET", "/v1/agents", adminKey, "")
}

// An idempotency key replays the same request and refuses another one; REST
// keys never collide with providers' event ids.
func TestIdempotencyKeys(t *testing.T) {
	in := newInstance(t, "", nil)
	body := `{"channel":"chat","queue":"support-en","customer":{"name":"Ana"}}`
	first := in.request("POST", "/v1/tasks", body, "Authorization", "Bearer sb_supervisor_dev", "Idempotency-Key", "order-7")
	again := in.request("POST", "/v1/tasks", body, "Authorization", "Bearer sb_supervisor_dev", "Idempotency-Key", "order-7")
	if first.status != http.StatusCreated || again.status != http.StatusOK || first.header.Get("Location") != again.header.Get("Location") {
		t.Fatalf("replay: %d %d %s %s", first.status, again.status, first.header.Get("Location"), again.header.Get("Location"))
	}
	before := in.snapshot()
	other := in.request("POST", "/v1/tasks", `{"channel":"chat","queue":"support-es","customer":{"name":"Ana"}}`,
		"Authorization", "Bearer sb_supervisor_dev", "Idempotency-Key", "order-7")
	if other.status != http.StatusUnprocessableEntity || !strings.Contains(string(other.body), `"field":"idempotency_key"`) {
		t.Fatalf("the same key for another request: %d %s", other.status, other.body)
	}
	if !maps.Equal(before, in.snapshot()) {
		t.Fatal("the refused request wrote")
	}
	// A REST key spelled like a provider's event id does not swallow the
	// provider's contact.
	in.request("POST", "/v1/tasks", body, "Authorization", "Bearer sb_supervisor_dev", "Idempotency-Key", "webchat:e1")
	msg := []byte(`{"id":"e1","customer":{"id":"v1"},"text":"hi"}`)
	r := in.generic("/webhooks/generic/webchat", string(msg), "dev-webchat-secret-change-me", in.clock.Now())
	if r.status != http.StatusCreated || strings.Contains(string(r.body), `"duplicate":true`) {
		t.Fatalf("the provider's event was taken for the REST task: %s", r.body)
	}
}

// With a metrics token, /metrics needs it.
func TestMetricsToken(t *testing.T) {
	in := newInstance(t, "", nil, func(c *config.Config) { c.HTTP.MetricsToken = "scrape-secret" })
	if r := in.request("GET", "/metrics", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("without the token: %d", r.status)
	}
	if r := in.request("GET", "/metrics", "", "Authorization", "Bearer wrong"); r.status != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %d", r.status)
	}
	if r := in.request("GET", "/metrics", "", "Authorization", "Bearer scrape-secret"); r.status != http.StatusOK || !strings.Contains(string(r.body), "switchboard_") {
		t.Fatalf("with the token: %d", r.status)
	}
}

// A REST contact with an e-mail address is linked to its customer as a
// webhook's is; a malformed address is refused naming the field.
func TestRESTContactsLinkTheCustomer(t *testing.T) {
	in := newInstance(t, "", nil)
	var task struct {
		ID         string `json:"id"`
		CustomerID string `json:"customer_id"`
	}
	in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev",
		`{"channel":"email","queue":"support-en","customer":{"name":"Lucía","email":"Lucia@Example.com"}}`).decode(t, &task)
	if task.CustomerID == "" {
		t.Fatalf("no customer: %+v", task)
	}
	var found struct {
		ID       string `json:"id"`
		Timeline []struct {
			ID string `json:"id"`
		} `json:"timeline"`
	}
	in.must(http.StatusOK, "GET", "/v1/customers?email=lucia@example.com", "sb_supervisor_dev", "").decode(t, &found)
	if found.ID != task.CustomerID || len(found.Timeline) != 1 || found.Timeline[0].ID != task.ID {
		t.Fatalf("by e-mail: %+v", found)
	}
	r := in.do("POST", "/v1/tasks", "sb_supervisor_dev", `{"channel":"email","queue":"support-en","customer":{"email":"not-an-email"}}`)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"customer.email"`) {
		t.Fatalf("bad e-mail: %d %s", r.status, r.body)
	}
}
