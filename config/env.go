package config

import "strings"

// EnvVar is one environment variable the service reads over the file.
type EnvVar struct {
	// Name is the variable; a <NAME> part is a source's or a webhook's
	// name, upper-cased, with - as _.
	Name string
	What string
	set  func(c *Config, name, v string)
}

// Env lists every environment override, in the order they apply: the
// README and config/example.yaml list the same (a test checks).
var Env = []EnvVar{
	{"REDIS_URL", "Redis: redis://, redis-sentinel:// or redis-cluster:// (unset: the embedded Redis)",
		func(c *Config, _, v string) { c.RedisURL = v }},
	{"DATABASE_URL", "PostgreSQL archive of finished contacts: postgres://... (unset: history is kept for the retention time only)",
		func(c *Config, _, v string) { c.DatabaseURL = v }},
	{"SWITCHBOARD_LISTEN", "the listen address", func(c *Config, _, v string) { c.Listen = v }},
	{"SWITCHBOARD_WORKSPACE", "the workspace", func(c *Config, _, v string) { c.Workspace = v }},
	{"SWITCHBOARD_LOG_LEVEL", "debug, info, warn or error", func(c *Config, _, v string) { c.LogLevel = v }},
	{"SWITCHBOARD_DEVELOPMENT", "1: accept the example's published API keys with a REDIS_URL",
		func(c *Config, _, v string) { c.Development = v == "1" || v == "true" }},
	{"SWITCHBOARD_METRICS_TOKEN", "the bearer token /metrics requires", func(c *Config, _, v string) { c.HTTP.MetricsToken = v }},
	{"SWITCHBOARD_PUBLIC_BASE_URL", "the outside URL providers call (signatures cover it)",
		func(c *Config, _, v string) { c.PublicBaseURL = v }},
	{"TWILIO_ACCOUNT_SID", "Twilio's account", func(c *Config, _, v string) { c.Twilio.AccountSID = v }},
	{"TWILIO_AUTH_TOKEN", "Twilio's auth token", func(c *Config, _, v string) { c.Twilio.AuthToken = v }},
	{"SWITCHBOARD_SOURCE_<NAME>_SECRET", "a generic webhook source's signing secret", func(c *Config, name, v string) {
		for i := range c.Sources {
			if envName(c.Sources[i].Name) == name {
				c.Sources[i].Secret = v
			}
		}
	}},
	{"SWITCHBOARD_WEBHOOK_<NAME>_SECRET", "an event webhook's signing secret", func(c *Config, name, v string) {
		for i := range c.EventWebhooks {
			if envName(c.EventWebhooks[i].Name) == name {
				c.EventWebhooks[i].Secret = v
			}
		}
	}},
}

func envName(name string) string { return strings.ToUpper(strings.NewReplacer("-", "_").Replace(name)) }

// applyEnv applies the environment and returns the variables it used.
func (c *Config) applyEnv(getenv func(string) string) []string {
	var used []string
	for _, e := range Env {
		prefix, suffix, named := strings.Cut(e.Name, "<NAME>")
		if !named {
			if v := getenv(e.Name); v != "" {
				e.set(c, "", v)
				used = append(used, e.Name)
			}
			continue
		}
		var names []string
		switch {
		case strings.Contains(prefix, "SOURCE"):
			for _, s := range c.Sources {
				names = append(names, envName(s.Name))
			}
		default:
			for _, w := range c.EventWebhooks {
				names = append(names, envName(w.Name))
			}
		}
		for _, n := range names {
			if v := getenv(prefix + n + suffix); v != "" {
				e.set(c, n, v)
				used = append(used, prefix+n+suffix)
			}
		}
	}
	return used
}
