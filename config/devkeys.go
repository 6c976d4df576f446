package config

import (
	"crypto/sha256"
	"encoding/hex"
)

// DevelopmentKeys are the API keys of the example configurations. They are
// published in the README: a service that shares a Redis with anyone else
// must not accept them, unless development is explicit.
var DevelopmentKeys = []string{"sb_admin_dev", "sb_supervisor_dev", "sb_planner_dev", "sb_agent_ana_dev", "sb_agent_bruno_dev"}

// PublishedKeys names the configured API keys that are development keys.
func (c *Config) PublishedKeys() []string {
	known := map[string]string{}
	for _, k := range DevelopmentKeys {
		sum := sha256.Sum256([]byte(k))
		known[hex.EncodeToString(sum[:])] = k
	}
	var out []string
	for _, k := range c.Auth.APIKeys {
		if name, ok := known[k.SHA256]; ok {
			out = append(out, name)
		}
	}
	return out
}
