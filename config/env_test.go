package config_test

import (
	"os"
	"strings"
	"testing"

	"switchboard/config"
)

// The README and the example configuration list the same overrides as the
// code applies.
func TestEveryOverrideIsDocumented(t *testing.T) {
	for _, f := range []string{"../README.md", "example.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range config.Env {
			if !strings.Contains(string(b), e.Name) {
				t.Errorf("%s does not mention %s", f, e.Name)
			}
		}
	}
}

// The environment overrides the file, and the variables used are named.
func TestEnvironmentOverrides(t *testing.T) {
	env := map[string]string{"TWILIO_ACCOUNT_SID": "AC" + strings.Repeat("0", 32), "TWILIO_AUTH_TOKEN": "tok",
		"SWITCHBOARD_WORKSPACE": "acme"}
	c, err := config.Parse(config.Example, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Twilio.AuthToken != "tok" || c.Workspace != "acme" || strings.Join(c.EnvUsed, ",") != "SWITCHBOARD_WORKSPACE,TWILIO_ACCOUNT_SID,TWILIO_AUTH_TOKEN" {
		t.Fatalf("%+v %v", c.Twilio, c.EnvUsed)
	}
}
