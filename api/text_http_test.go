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
	} {
		r := in.do("POST", "/v1/tasks", "sb_supervisor_dev", c.body)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"`+c.field+`"`) {
			t.Errorf("%q: %d %s", c.body, r.status, r.body)
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
