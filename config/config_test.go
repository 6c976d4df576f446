package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/validation"
)

func TestExampleIsValid(t *testing.T) {
	c, err := Parse(Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Queues) != 12 || len(c.Channels) != 6 || len(c.Auth.APIKeys) == 0 {
		t.Fatalf("example: %d queues, %d channels", len(c.Queues), len(c.Channels))
	}
	want := map[string]time.Duration{"voice": 20 * time.Second, "chat": time.Minute, "sms": 15 * time.Minute,
		"whatsapp": 15 * time.Minute, "social": 2 * time.Hour, "email": 24 * time.Hour}
	for ch, d := range want {
		if got := c.Channels[ch].SLA.FirstResponse; got != d {
			t.Errorf("%s first response %v, want %v", ch, got, d)
		}
	}
	q, _ := c.Queue("billing-es")
	if q.Strategy != MostProficient || c.FirstResponse(q, "voice") != 20*time.Second {
		t.Fatalf("billing-es: %+v", q)
	}
}

func TestValidationNamesEveryField(t *testing.T) {
	bad := strings.Replace(string(Example), "offer_timeout: 15s", "offer_timeout: 0s", 1)
	bad = strings.Replace(bad, "  - id: support-es\n    skill: support", "  - id: support-es\n    skill: cooking", 1)
	bad = strings.Replace(bad, "    language: fr\n    strategy: longest-idle", "    language: fr\n    strategy: random\n    sla: {chat: {first_response: -1s}}", 1)
	bad = strings.Replace(bad, "max_missed_offers: 3", "max_missed_offers: -1", 1)
	bad = strings.Replace(bad, "role: planner", "role: boss", 1)
	_, err := Parse([]byte(bad), nil)
	var errs validation.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v is not a validation list", err)
	}
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Field] = true
	}
	for _, f := range []string{
		"channels.voice.offer_timeout",
		"queues[1].skill",
		"queues[2].strategy",
		"queues[2].sla.chat.first_response",
		"routing.max_missed_offers",
		"auth.api_keys[2].role",
	} {
		if !got[f] {
			t.Errorf("no error for %s in %v", f, errs)
		}
	}
	if len(errs) != 6 {
		t.Errorf("%d errors, want 6: %v", len(errs), errs)
	}
}

func TestUnknownFieldIsAnError(t *testing.T) {
	_, err := Parse([]byte("listen: ':1'\nlisten_port: 8080\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "listen_port") {
		t.Fatalf("error %v should name listen_port", err)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	env := map[string]string{"REDIS_URL": "redis://r:6379/2", "SWITCHBOARD_LISTEN": ":9999", "SWITCHBOARD_WORKSPACE": "acme"}
	c, err := Parse(Example, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisURL != env["REDIS_URL"] || c.Listen != ":9999" || c.Workspace != "acme" {
		t.Fatalf("overrides not applied: %s %s %s", c.RedisURL, c.Listen, c.Workspace)
	}
	if _, err := Parse(Example, func(k string) string {
		if k == "SWITCHBOARD_WORKSPACE" {
			return "a{b}"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "workspace") {
		t.Fatalf("a workspace with a brace must be refused: %v", err)
	}
}

func TestStreamAndRedisSettings(t *testing.T) {
	// Unset: the defaults users get.
	c, err := Parse([]byte(strings.Replace(string(Example), "  disconnect_grace: 30s", "", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.PoolSize != 20 || c.Redis.StreamPoolSize != 8 || c.Streams.Grace() != 30*time.Second ||
		c.Streams.Buffer != 64 || c.HTTP.WriteTimeout != 2*time.Minute || c.HTTP.IdleTimeout != 2*time.Minute {
		t.Fatalf("defaults: %+v %+v %+v", c.Redis, c.Streams, c.HTTP)
	}
	// 0s turns presence-follows-desktop off.
	c, err = Parse([]byte(strings.Replace(string(Example), "disconnect_grace: 30s", "disconnect_grace: 0s", 1)), nil)
	if err != nil || c.Streams.Grace() != 0 {
		t.Fatalf("disconnect_grace 0s: %v %v", c.Streams.Grace(), err)
	}
	bad := strings.NewReplacer("pool_size: 20", "pool_size: -3", "buffer: 64", "buffer: -1",
		"disconnect_grace: 30s", "disconnect_grace: 200ms", "idle_timeout: 2m", "idle_timeout: -1s").Replace(string(Example))
	_, err = Parse([]byte(bad), nil)
	for _, field := range []string{"redis.pool_size", "streams.buffer", "streams.disconnect_grace", "http.idle_timeout"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
}
