package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"switchboard/config"
)

// Principal is the caller an API key stands for.
type Principal struct {
	Name    string
	Role    string
	AgentID string // set for role agent: the only agent it may act for
}

type keyring struct {
	keys []config.APIKey
	sums [][]byte
}

func newKeyring(keys []config.APIKey) *keyring {
	k := &keyring{keys: keys}
	for _, key := range keys {
		sum, _ := hex.DecodeString(key.SHA256)
		k.sums = append(k.sums, sum)
	}
	return k
}

// lookup finds the key whose SHA-256 matches, comparing in constant time.
func (k *keyring) lookup(secret string) (Principal, bool) {
	sum := sha256.Sum256([]byte(secret))
	found := -1
	for i, s := range k.sums {
		if subtle.ConstantTimeCompare(sum[:], s) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, false
	}
	key := k.keys[found]
	return Principal{Name: key.Name, Role: key.Role, AgentID: key.AgentID}, true
}

const principalKey = "principal"

// authenticate requires a valid API key, as "Authorization: Bearer <key>".
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		if !s.limit(c, "failed-auth", c.ClientIP(), s.failedAuthLimit) {
			return
		}
		c.Header("WWW-Authenticate", `Bearer realm="switchboard"`)
		problem(c, http.StatusUnauthorized, "an API key is required: Authorization: Bearer <key>")
		return
	}
	p, ok := s.keys.lookup(secret)
	if !ok {
		// Each wrong key costs the client address an allowance: guessing
		// keys is slowed to a crawl.
		if !s.limit(c, "failed-auth", c.ClientIP(), s.failedAuthLimit) {
			return
		}
		c.Header("WWW-Authenticate", `Bearer realm="switchboard", error="invalid_token"`)
		problem(c, http.StatusUnauthorized, "the API key is not valid")
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

func principal(c *gin.Context) Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(Principal)
	return pr
}

// allow lets through the given roles; admin is always allowed.
func allow(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		if p.Role == config.RoleAdmin || slices.Contains(roles, p.Role) {
			c.Next()
			return
		}
		problem(c, http.StatusForbidden, "role "+p.Role+" may not do this")
	}
}

// ownAgent lets an agent key act only on its own agent id (path :id).
func ownAgent(c *gin.Context) {
	p := principal(c)
	if p.Role == config.RoleAgent && c.Param("id") != p.AgentID {
		problem(c, http.StatusForbidden, "an agent key may act only for its own agent ("+p.AgentID+")")
		return
	}
	c.Next()
}

// ownTask lets an agent key act only on a task that is its agent's (path
// :id), before its body is checked: another agent's task is refused
// whatever the body says. Only the routes whose bodies Go checks first
// (transfer, replies) need it; the scripts check ownership before anything
// else, in the same step as the change.
func (s *Server) ownTask(c *gin.Context) {
	p := principal(c)
	if p.Role != config.RoleAgent {
		c.Next()
		return
	}
	t, err := s.app.Tasks.Task(c.Request.Context(), c.Param("id"))
	if err == nil && t.Agent != p.AgentID {
		problem(c, http.StatusForbidden, "the task is not yours")
		return
	}
	c.Next() // a task that does not exist is the handler's to answer
}

// actingAgent is the agent a request acts for: the key's agent for agent keys,
// "" (any agent) for supervisors and admins.
func actingAgent(c *gin.Context) string {
	if p := principal(c); p.Role == config.RoleAgent {
		return p.AgentID
	}
	return ""
}
