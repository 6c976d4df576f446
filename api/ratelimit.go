package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"

	"switchboard/queues"
)

// limit takes one request from the allowance of caller name in scope. Over the limit it answers 429
// with Retry-After and returns false. Each key has its own allowance, so a
// flood from one source or customer does not slow the others.
func (s *Server) limit(c *gin.Context, scope, name string, l redis_rate.Limit) bool {
	if s.limiter == nil || l.Rate <= 0 {
		return true
	}
	res, err := s.limiter.Allow(c.Request.Context(), queues.RateLimitKey(s.cfg.Workspace, scope, name), l)
	if err != nil {
		// Redis is down: routing cannot work either; do not hide that as a 429.
		fail(c, err)
		return false
	}
	c.Header("RateLimit-Limit", strconv.Itoa(l.Rate))
	c.Header("RateLimit-Remaining", strconv.Itoa(res.Remaining))
	if res.Allowed > 0 {
		return true
	}
	secs := int(math.Ceil(res.RetryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Header("Retry-After", strconv.Itoa(secs))
	problem(c, http.StatusTooManyRequests, "rate limit reached; retry after "+(time.Duration(secs)*time.Second).String())
	return false
}

// limitKey rate limits each API key on the REST API.
func (s *Server) limitKey(c *gin.Context) {
	if !s.limit(c, "api", principal(c).Name, s.apiKeyLimit) {
		return
	}
	c.Next()
}
