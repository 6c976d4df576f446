package workforce

import (
	"strings"
	"testing"

	"switchboard/config"
)

func exampleConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestNormalizeRejectsBadFields(t *testing.T) {
	cfg := exampleConfig(t)
	cases := []struct {
		name  string
		agent Agent
		field string
	}{
		{"bad zone", Agent{ID: "a", Name: "A", TimeZone: "Mars/Olympus", Languages: []string{"en"}, Skills: map[string]int{"support": 3}}, "time_zone"},
		{"bad language", Agent{ID: "a", Name: "A", TimeZone: "UTC", Languages: []string{"english!"}, Skills: map[string]int{"support": 3}}, "languages[0]"},
		{"proficiency 9", Agent{ID: "a", Name: "A", TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"support": 9}}, "skills.support"},
		{"unknown skill", Agent{ID: "a", Name: "A", TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"cooking": 3}}, "skills.cooking"},
		{"negative capacity", Agent{ID: "a", Name: "A", TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"support": 3}, Capacity: map[string]int{"chat": -1}}, "capacity.chat"},
		{"unknown channel", Agent{ID: "a", Name: "A", TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"support": 3}, Capacity: map[string]int{"fax": 1}}, "capacity.fax"},
		{"bad id", Agent{ID: "a b", Name: "A", TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"support": 3}}, "id"},
		{"bad contact", Agent{ID: "a", Name: "A", TimeZone: "UTC", Languages: []string{"en"}, Skills: map[string]int{"support": 3}, Contact: "555"}, "contact"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := c.agent.Normalize(cfg)
			if len(errs) != 1 || errs[0].Field != c.field {
				t.Fatalf("errors %v, want one on %s", errs, c.field)
			}
		})
	}
}

func TestNormalizeDefaultsAndEligibility(t *testing.T) {
	cfg := exampleConfig(t)
	a := Agent{ID: "ana", Name: "Ana", TimeZone: "Europe/Madrid", Languages: []string{"ES-mx", "en"},
		Skills: map[string]int{"support": 4, "billing": 2}, Capacity: map[string]int{"chat": 2}, Contact: "client:ana"}
	if errs := a.Normalize(cfg); len(errs) != 0 {
		t.Fatal(errs)
	}
	if a.Languages[0] != "es-MX" {
		t.Fatalf("language not canonical: %v", a.Languages)
	}
	if a.Capacity["chat"] != 2 || a.Capacity["voice"] != 1 || a.Capacity["email"] != 2 {
		t.Fatalf("capacity defaults: %v", a.Capacity)
	}
	if strings.Join(a.VoiceBlocks, ",") != strings.Join(cfg.Routing.VoiceBlocks, ",") {
		t.Fatalf("voice blocks default: %v", a.VoiceBlocks)
	}
	var got []string
	for _, e := range a.Eligible(cfg) {
		got = append(got, e.Queue)
	}
	want := "support-en,support-es,billing-en,billing-es"
	if strings.Join(got, ",") != want {
		t.Fatalf("eligible %v, want %s", got, want)
	}
}

func TestSpeaks(t *testing.T) {
	cases := []struct {
		tags []string
		want string
		ok   bool
	}{
		{[]string{"es-MX"}, "es", true},
		{[]string{"es"}, "es-MX", false},
		{[]string{"pt-PT"}, "pt-BR", false},
		{[]string{"pt-BR"}, "pt-BR", true},
		{[]string{"fr"}, "en", false},
	}
	for _, c := range cases {
		if got := speaks(c.tags, c.want); got != c.ok {
			t.Errorf("speaks(%v, %s) = %v", c.tags, c.want, got)
		}
	}
}
