package router_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/internal/redistest"
	"switchboard/langdetect"
	"switchboard/queues"
	"switchboard/router"
)

func newRouter(t *testing.T, configure ...func(*config.Config)) *router.App {
	rt, _ := newRouterClock(t, configure...)
	return rt
}

// newRouterClock is newRouter with the manual clock it runs on.
func newRouterClock(t *testing.T, configure ...func(*config.Config)) (*router.App, *clock.Manual) {
	t.Helper()
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range configure {
		f(cfg)
	}
	cfg.Workspace = redistest.Workspace(t)
	det, err := langdetect.New(cfg.Languages)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	return router.New(cfg, queues.New(redistest.Client(t), cfg.Workspace, router.SettingsFrom(cfg)), clk,
		slog.New(slog.NewTextHandler(io.Discard, nil))).WithDetector(det), clk
}

// The example's rules and the language chain, clue by clue.
func TestIngestRulesAndLanguage(t *testing.T) {
	rt := newRouter(t)
	cases := []struct {
		name      string
		in        router.Inbound
		queue     string
		from      string
		priorityG int
	}{
		{"explicit language wins over text", router.Inbound{Source: "webchat", Channel: "chat", Identity: "web:a1", Language: "fr-CA", Text: "Hello there, I need help"}, "support-fr", "explicit", 0},
		{"IVR choice", router.Inbound{Source: "twilio", Channel: "voice", Identity: "phone:+14158675309", Region: "US", IVR: router.IVRChoice{Language: "pt", Skill: "sales"}}, "sales-pt", "ivr", 0},
		{"detected from text", router.Inbound{Source: "webchat", Channel: "chat", Identity: "web:a2", Text: "Bonjour, ma facture est incorrecte"}, "support-fr", "detected", 0},
		{"country of the number", router.Inbound{Source: "twilio", Channel: "sms", Identity: "phone:+5511999990000", Region: "BR", Text: "ok"}, "support-pt", "country", 0},
		{"called number rule with its language", router.Inbound{Source: "twilio", Channel: "voice", To: "+34910000000", Identity: "phone:+14158675300", Region: "ZZ"}, "billing-es", "rule", 0},
		{"source rule", router.Inbound{Source: "instagram", Channel: "social", Identity: "social:instagram:ana", Text: "hi"}, "sales-en", "default", 0},
		{"default", router.Inbound{Source: "webchat", Channel: "chat", Identity: "web:a3"}, "support-en", "default", 0},
		{"language without a queue falls back", router.Inbound{Source: "webchat", Channel: "chat", Identity: "web:a4", Language: "de"}, "support-en", "default", 0},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.EventID = "ev" + string(rune('a'+i))
			got, err := rt.Contacts.Ingest(context.Background(), c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Task.Queue != c.queue || got.LanguageFrom != c.from {
				t.Fatalf("queue %s (language from %s), want %s (%s)", got.Task.Queue, got.LanguageFrom, c.queue, c.from)
			}
		})
	}
}

func TestIngestUnknownSkillIsRefused(t *testing.T) {
	rt := newRouter(t)
	_, err := rt.Contacts.Ingest(context.Background(), router.Inbound{Source: "webchat", Channel: "chat", EventID: "e1", Identity: "web:x", Skill: "cooking"})
	if err == nil || err.Error() != "skill: unknown skill cooking" {
		t.Fatalf("error %v", err)
	}
}
