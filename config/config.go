// Package config holds Switchboard's typed configuration: one YAML file, strict
// about unknown fields, with environment overrides for addresses and secrets and
// validation errors that name the field path.
package config

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones of agents, queues and schedules work without a system zoneinfo

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"github.com/jackc/pgx/v5"

	"switchboard/calendar"
	"switchboard/internal/redisconn"
	"switchboard/validation"
)

// Example is the shipped example configuration; it is what the service runs with
// when no file is given.
//
//go:embed example.yaml
var Example []byte

// Channels Switchboard knows how to route. Configuration may use any subset.
var KnownChannels = []string{"voice", "chat", "sms", "whatsapp", "social", "email"}

// Agent ordering strategies a queue can use.
const (
	LongestIdle    = "longest-idle"
	MostProficient = "most-proficient"
	LeastOccupied  = "least-occupied"
)

// Roles an API key can have.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RolePlanner    = "planner"
	RoleAdmin      = "admin"
)

// Config is the whole configuration.
type Config struct {
	Listen   string `yaml:"listen"`
	RedisURL string `yaml:"redis_url"`
	// EnvUsed names the environment variables that overrode the file.
	EnvUsed   []string           `yaml:"-" json:"-"`
	Workspace string             `yaml:"workspace"`
	LogLevel  string             `yaml:"log_level"`
	HTTP      HTTP               `yaml:"http"`
	Redis     Redis              `yaml:"redis"`
	Streams   Streams            `yaml:"streams"`
	Channels  map[string]Channel `yaml:"channels"`
	Skills    []string           `yaml:"skills"`
	Languages []string           `yaml:"languages"`
	Queues    []Queue            `yaml:"queues"`
	Routing   Routing            `yaml:"routing"`
	Auth      Auth               `yaml:"auth"`
	// Development accepts the example's published API keys on a shared
	// Redis (they are always accepted on the embedded one).
	Development bool `yaml:"development"`

	// PublicBaseURL is the URL providers call us at; webhook signatures are
	// checked against it, so behind a proxy it must be the outside URL.
	PublicBaseURL string     `yaml:"public_base_url"`
	Twilio        Twilio     `yaml:"twilio"`
	Voice         Voice      `yaml:"voice"`
	Sources       []Source   `yaml:"generic_sources"`
	Rules         []Rule     `yaml:"routing_rules"`
	Customers     Customers  `yaml:"customers"`
	RateLimits    RateLimits `yaml:"rate_limits"`
	// Hours are named hours of operation that queues refer to.
	Hours map[string]Hours `yaml:"hours"`
	// EventWebhooks receive events, signed, at least once, in order.
	EventWebhooks []EventWebhook `yaml:"event_webhooks"`
	Retention     Retention      `yaml:"retention"`
	Surveys       Surveys        `yaml:"surveys"`
	Quality       Quality        `yaml:"quality"`
	// DatabaseURL is the PostgreSQL archive of finished contacts (empty:
	// none; history is kept for the retention time only).
	DatabaseURL string `yaml:"database_url"`

	calendars map[string]*calendar.Calendar
}

// Retention bounds what Redis keeps of finished work.
type Retention struct {
	// Finished is how long a completed or canceled contact (the task, its
	// messages and escalations) stays in Redis after it ends; a customer
	// stays as long after their last contact ends. Default 7 days; 0 is
	// not allowed (Redis would grow for ever): set a long time instead.
	Finished time.Duration `yaml:"finished"`
	// TrimEvery is how often the task indexes drop what expired (default 10m).
	TrimEvery time.Duration `yaml:"trim_every"`
}

// HTTP tunes the API server. The timeouts bound what a slow or idle client
// holds; agent event streams are exempt from read and write timeouts and
// have their own (see Streams).
type HTTP struct {
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its response.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MetricsToken, when set, is the bearer token /metrics requires
	// (Prometheus: authorization.credentials). Prefer SWITCHBOARD_METRICS_TOKEN.
	MetricsToken string `yaml:"metrics_token"`
}

// Redis tunes the Redis clients of a replica: one pool for requests, timers,
// metrics and deliveries, and a small one for agent event streams (catching
// desktops up), plus one Pub/Sub connection for the agent feed. Whatever the
// number of open streams, a replica holds at most pool_size +
// stream_pool_size + 1 connections for its API and streams.
type Redis struct {
	PoolSize       int           `yaml:"pool_size"`
	StreamPoolSize int           `yaml:"stream_pool_size"`
	DialTimeout    time.Duration `yaml:"dial_timeout"`
	ReadTimeout    time.Duration `yaml:"read_timeout"`
	WriteTimeout   time.Duration `yaml:"write_timeout"`
	// PoolTimeout is how long a command waits for a free connection.
	PoolTimeout time.Duration `yaml:"pool_timeout"`
}

// Streams tunes the agents' event streams (GET /v1/agents/{id}/stream).
type Streams struct {
	// KeepAlive is the longest a stream stays silent: a comment line then.
	KeepAlive time.Duration `yaml:"keep_alive"`
	// Buffer is how many events a connection may fall behind before it is
	// disconnected (the client resumes with Last-Event-ID).
	Buffer int `yaml:"buffer"`
	// WriteTimeout bounds each write to a client: a dead one is dropped.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// MaxPerAgent bounds one agent's streams on a replica: a new one ends
	// the oldest. MaxConnections bounds a replica's streams: beyond, 503.
	MaxPerAgent    int `yaml:"max_per_agent"`
	MaxConnections int `yaml:"max_connections"`
	// DisconnectGrace: when an agent has had no stream open on any replica
	// this long, the agent goes away (reason "disconnected") and the offers
	// ringing on the desktop go to others. 0 turns it off. Default 30s.
	DisconnectGrace *time.Duration `yaml:"disconnect_grace"`
}

// Grace is the disconnect grace period (0: presence does not follow streams).
func (s Streams) Grace() time.Duration {
	if s.DisconnectGrace == nil {
		return 0
	}
	return *s.DisconnectGrace
}

// Channel holds one channel's defaults.
type Channel struct {
	// Capacity is how many contacts of this channel an agent handles at once,
	// unless the agent's profile says otherwise.
	Capacity     int           `yaml:"capacity"`
	OfferTimeout time.Duration `yaml:"offer_timeout"`
	WrapUp       time.Duration `yaml:"wrap_up"`
	SLA          SLA           `yaml:"sla"`
}

// Queue is one skill-and-language queue.
type Queue struct {
	ID             string         `yaml:"id"`
	Skill          string         `yaml:"skill"`
	Language       string         `yaml:"language"`
	Strategy       string         `yaml:"strategy"`
	MinProficiency int            `yaml:"min_proficiency"`
	SLA            map[string]SLA `yaml:"sla"`
	// Hours names the queue's hours of operation (none: always open).
	Hours string `yaml:"hours"`
	// EnforceSchedules overrides routing.enforce_schedules for this queue.
	EnforceSchedules *bool  `yaml:"enforce_schedules"`
	Escalation       []Step `yaml:"escalation"`
}

// Routing holds engine-wide routing settings.
type Routing struct {
	// MaxMissedOffers consecutive offer timeouts put an agent away.
	MaxMissedOffers int `yaml:"max_missed_offers"`
	// ReofferDelay keeps a rejected or missed task from the same agent this long.
	ReofferDelay time.Duration `yaml:"reoffer_delay"`
	// IdempotencyTTL is how long a task's idempotency key is remembered.
	IdempotencyTTL time.Duration `yaml:"idempotency_ttl"`
	// VoiceBlocks are the channels an active call blocks by default.
	VoiceBlocks []string `yaml:"voice_blocks"`
	// AgentStreamLength bounds each agent's event stream (entries kept for resume).
	AgentStreamLength int `yaml:"agent_stream_length"`
	// EventsLength is the ceiling of the workspace events stream: entries
	// are trimmed once every consumer group acknowledged them, and beyond
	// this many the oldest go whatever the lag (counted in
	// switchboard_events_dropped_total and logged). Default 1,000,000.
	EventsLength int `yaml:"events_length"`
	// TimerPoll is the longest a replica waits before looking for due timers.
	TimerPoll time.Duration `yaml:"timer_poll"`
	// ServiceLevelWindow is the rolling window of the queues' service level.
	ServiceLevelWindow time.Duration `yaml:"service_level_window"`
	// EnforceSchedules: agents with a schedule get offers only on shift
	// (not on a break), even if they left themselves available.
	EnforceSchedules bool `yaml:"enforce_schedules"`
}

// Auth lists API keys. Keys are stored as SHA-256 hex digests, never in clear.
type Auth struct {
	APIKeys []APIKey `yaml:"api_keys"`
}

// APIKey is one caller's credential.
type APIKey struct {
	Name    string `yaml:"name"`
	SHA256  string `yaml:"sha256"`
	Role    string `yaml:"role"`
	AgentID string `yaml:"agent_id"`
}

// Parse decodes YAML strictly, fills defaults, applies environment overrides from
// getenv (nil means none) and validates. A validation.Errors lists every problem.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse configuration: %w", err)
	}
	if getenv != nil {
		c.EnvUsed = c.applyEnv(getenv)
	}
	c.applyDefaults()
	if err := c.Validate().Err(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Load reads and parses the file at path.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, getenv)
}

func (c *Config) applyDefaults() {
	c.Listen = cmp.Or(c.Listen, ":8080")
	c.Workspace = cmp.Or(c.Workspace, "default")
	c.LogLevel = cmp.Or(c.LogLevel, "info")
	c.HTTP.MaxBodyBytes = cmp.Or(c.HTTP.MaxBodyBytes, 1<<20)
	c.HTTP.ShutdownTimeout = cmp.Or(c.HTTP.ShutdownTimeout, 15*time.Second)
	c.Twilio.APITimeout = cmp.Or(c.Twilio.APITimeout, 5*time.Second)
	c.Twilio.APIAttempts = cmp.Or(c.Twilio.APIAttempts, 5)
	h := &c.HTTP
	h.ReadHeaderTimeout = cmp.Or(h.ReadHeaderTimeout, 10*time.Second)
	h.ReadTimeout = cmp.Or(h.ReadTimeout, 30*time.Second)
	// Simulations still run inside their request: up to a couple of minutes.
	h.WriteTimeout = cmp.Or(h.WriteTimeout, 2*time.Minute)
	h.IdleTimeout = cmp.Or(h.IdleTimeout, 2*time.Minute)
	rd := &c.Redis
	rd.PoolSize = cmp.Or(rd.PoolSize, 20)
	rd.StreamPoolSize = cmp.Or(rd.StreamPoolSize, 8)
	rd.DialTimeout = cmp.Or(rd.DialTimeout, 5*time.Second)
	rd.ReadTimeout = cmp.Or(rd.ReadTimeout, 3*time.Second)
	rd.WriteTimeout = cmp.Or(rd.WriteTimeout, 3*time.Second)
	rd.PoolTimeout = cmp.Or(rd.PoolTimeout, 4*time.Second)
	st := &c.Streams
	st.KeepAlive = cmp.Or(st.KeepAlive, 15*time.Second)
	st.Buffer = cmp.Or(st.Buffer, 64)
	st.WriteTimeout = cmp.Or(st.WriteTimeout, 10*time.Second)
	st.MaxPerAgent = cmp.Or(st.MaxPerAgent, 8)
	st.MaxConnections = cmp.Or(st.MaxConnections, 50000)
	if st.DisconnectGrace == nil {
		g := 30 * time.Second
		st.DisconnectGrace = &g
	}
	for i := range c.Queues {
		q := &c.Queues[i]
		q.Strategy = cmp.Or(q.Strategy, LongestIdle)
		q.MinProficiency = cmp.Or(q.MinProficiency, 1)
	}
	r := &c.Routing
	r.MaxMissedOffers = cmp.Or(r.MaxMissedOffers, 3)
	r.ReofferDelay = cmp.Or(r.ReofferDelay, 10*time.Second)
	r.IdempotencyTTL = cmp.Or(r.IdempotencyTTL, 24*time.Hour)
	r.AgentStreamLength = cmp.Or(r.AgentStreamLength, 1000)
	r.EventsLength = cmp.Or(r.EventsLength, 1000000)
	r.TimerPoll = cmp.Or(r.TimerPoll, 250*time.Millisecond)
	r.ServiceLevelWindow = cmp.Or(r.ServiceLevelWindow, time.Hour)
	c.Retention.Finished = cmp.Or(c.Retention.Finished, 7*24*time.Hour)
	c.Retention.TrimEvery = cmp.Or(c.Retention.TrimEvery, 10*time.Minute)
	c.applyContactDefaults()
	c.applySurveyDefaults()
}

// Validate checks every field and returns all problems found.
func (c *Config) Validate() validation.Errors {
	var errs validation.Errors
	if c.Workspace == "" || !validID(c.Workspace) {
		errs.Add("workspace", "must be letters, digits, '-' or '_'")
	}
	if c.HTTP.MaxBodyBytes < 0 {
		errs.Add("http.max_body_bytes", "must be positive")
	}
	if c.RedisURL != "" {
		if _, err := redisconn.Parse(c.RedisURL); err != nil {
			errs.Add("redis_url", "%v", err)
		}
	}
	positive := func(field string, d time.Duration) {
		if d < 0 {
			errs.Add(field, "must not be negative")
		}
	}
	if c.Retention.Finished < time.Minute {
		errs.Add("retention.finished", "must be at least 1m")
	}
	if c.Retention.TrimEvery < time.Second {
		errs.Add("retention.trim_every", "must be at least 1s")
	}
	if c.DatabaseURL != "" {
		if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			errs.Add("database_url", "must be a postgres:// URL (database_url, or DATABASE_URL)")
		} else if _, err := pgx.ParseConfig(c.DatabaseURL); err != nil {
			errs.Add("database_url", "is not a valid PostgreSQL URL (database_url, or DATABASE_URL): %s",
				strings.TrimPrefix(err.Error(), "cannot parse `"+c.DatabaseURL+"`: "))
		}
	}
	positive("http.read_header_timeout", c.HTTP.ReadHeaderTimeout)
	positive("http.read_timeout", c.HTTP.ReadTimeout)
	positive("http.write_timeout", c.HTTP.WriteTimeout)
	positive("http.idle_timeout", c.HTTP.IdleTimeout)
	positive("redis.dial_timeout", c.Redis.DialTimeout)
	positive("redis.read_timeout", c.Redis.ReadTimeout)
	positive("redis.write_timeout", c.Redis.WriteTimeout)
	positive("redis.pool_timeout", c.Redis.PoolTimeout)
	if c.Redis.PoolSize < 1 || c.Redis.PoolSize > 1000 {
		errs.Add("redis.pool_size", "must be between 1 and 1000")
	}
	if c.Redis.StreamPoolSize < 1 || c.Redis.StreamPoolSize > 100 {
		errs.Add("redis.stream_pool_size", "must be between 1 and 100")
	}
	if c.Streams.KeepAlive < 100*time.Millisecond || c.Streams.KeepAlive > 5*time.Minute {
		errs.Add("streams.keep_alive", "must be between 100ms and 5m")
	}
	if c.Streams.Buffer < 1 || c.Streams.Buffer > 10000 {
		errs.Add("streams.buffer", "must be between 1 and 10000")
	}
	if c.Streams.MaxPerAgent < 1 || c.Streams.MaxPerAgent > 1000 {
		errs.Add("streams.max_per_agent", "must be between 1 and 1000")
	}
	if c.Streams.MaxConnections < 1 {
		errs.Add("streams.max_connections", "must be positive")
	}
	if c.Streams.WriteTimeout < time.Second {
		errs.Add("streams.write_timeout", "must be at least 1s")
	}
	if g := c.Streams.Grace(); g != 0 && (g < time.Second || g > time.Hour) {
		errs.Add("streams.disconnect_grace", "must be 0 (off) or between 1s and 1h")
	}
	if len(c.Channels) == 0 {
		errs.Add("channels", "at least one channel is required")
	}
	for _, name := range sortedKeys(c.Channels) {
		ch := c.Channels[name]
		p := "channels." + name
		if !slices.Contains(KnownChannels, name) {
			errs.Add(p, "unknown channel (known: %v)", KnownChannels)
		}
		if ch.Capacity < 0 {
			errs.Add(p+".capacity", "must not be negative")
		}
		if ch.OfferTimeout <= 0 {
			errs.Add(p+".offer_timeout", "must be positive")
		}
		if ch.WrapUp < 0 {
			errs.Add(p+".wrap_up", "must not be negative")
		}
		validateSLA(p+".sla", ch.SLA, &errs, true)
	}
	checkList := func(field string, items []string, check func(string) string) {
		seen := map[string]bool{}
		if len(items) == 0 {
			errs.Add(field, "at least one is required")
		}
		for i, s := range items {
			p := fmt.Sprintf("%s[%d]", field, i)
			if seen[s] {
				errs.Add(p, "duplicate %q", s)
			}
			seen[s] = true
			if reason := check(s); reason != "" {
				errs.Add(p, "%s", reason)
			}
		}
	}
	checkList("skills", c.Skills, func(s string) string {
		if !validID(s) {
			return "must be letters, digits, '-' or '_'"
		}
		return ""
	})
	checkList("languages", c.Languages, func(s string) string {
		if _, err := language.Parse(s); err != nil {
			return fmt.Sprintf("%q is not a BCP-47 language tag", s)
		}
		return ""
	})
	if len(c.Queues) == 0 {
		errs.Add("queues", "at least one queue is required")
	}
	ids := map[string]bool{}
	for i, q := range c.Queues {
		p := fmt.Sprintf("queues[%d]", i)
		uniqueID(&errs, p+".id", q.ID, "queue id", ids)
		if !slices.Contains(c.Skills, q.Skill) {
			errs.Add(p+".skill", "unknown skill %q", q.Skill)
		}
		if !slices.Contains(c.Languages, q.Language) {
			errs.Add(p+".language", "unknown language %q", q.Language)
		}
		switch q.Strategy {
		case LongestIdle, MostProficient, LeastOccupied:
		default:
			errs.Add(p+".strategy", "must be %s, %s or %s", LongestIdle, MostProficient, LeastOccupied)
		}
		if q.MinProficiency < 1 || q.MinProficiency > 5 {
			errs.Add(p+".min_proficiency", "must be between 1 and 5")
		}
		for _, ch := range sortedKeys(q.SLA) {
			if _, ok := c.Channels[ch]; !ok {
				errs.Add(p+".sla."+ch, "unknown channel")
			}
			validateSLA(p+".sla."+ch, q.SLA[ch], &errs, false)
		}
	}
	r := c.Routing
	if r.MaxMissedOffers < 1 {
		errs.Add("routing.max_missed_offers", "must be at least 1")
	}
	if r.ReofferDelay < 0 {
		errs.Add("routing.reoffer_delay", "must not be negative")
	}
	if r.IdempotencyTTL < time.Minute {
		errs.Add("routing.idempotency_ttl", "must be at least 1m")
	}
	for i, ch := range r.VoiceBlocks {
		if _, ok := c.Channels[ch]; !ok || ch == "voice" {
			errs.Add(fmt.Sprintf("routing.voice_blocks[%d]", i), "unknown or invalid channel %q", ch)
		}
	}
	if r.AgentStreamLength < 10 {
		errs.Add("routing.agent_stream_length", "must be at least 10")
	}
	if r.EventsLength < 1000 {
		errs.Add("routing.events_length", "must be at least 1000")
	}
	if r.ServiceLevelWindow < 15*time.Minute || r.ServiceLevelWindow > 7*24*time.Hour {
		errs.Add("routing.service_level_window", "must be between 15m and 168h")
	}
	if r.TimerPoll <= 0 || r.TimerPoll > 10*time.Second {
		errs.Add("routing.timer_poll", "must be between 1ms and 10s")
	}
	hashes := map[string]bool{}
	for i, k := range c.Auth.APIKeys {
		p := fmt.Sprintf("auth.api_keys[%d]", i)
		if k.Name == "" {
			errs.Add(p+".name", "is required")
		}
		if !isSHA256Hex(k.SHA256) {
			errs.Add(p+".sha256", "must be the 64-character hex SHA-256 of the key")
		} else if hashes[k.SHA256] {
			errs.Add(p+".sha256", "duplicate key")
		}
		hashes[k.SHA256] = true
		switch k.Role {
		case RoleAgent:
			if k.AgentID == "" {
				errs.Add(p+".agent_id", "is required for role agent")
			}
		case RoleSupervisor, RolePlanner, RoleAdmin:
			if k.AgentID != "" {
				errs.Add(p+".agent_id", "only role agent is bound to an agent")
			}
		default:
			errs.Add(p+".role", "must be agent, supervisor, planner or admin")
		}
	}
	c.validateContacts(&errs)
	c.validateQueueExtras(&errs)
	c.validateWebhooks(&errs)
	c.validateSurveys(&errs)
	return errs
}

// Queue returns the queue with the given id.
func (c *Config) Queue(id string) (Queue, bool) {
	for _, q := range c.Queues {
		if q.ID == id {
			return q, true
		}
	}
	return Queue{}, false
}

// EnforceSchedules reports whether a queue offers work to scheduled agents
// only on shift: the queue's setting, else routing.enforce_schedules.
func (c *Config) EnforceSchedules(q Queue) bool {
	if q.EnforceSchedules != nil {
		return *q.EnforceSchedules
	}
	return c.Routing.EnforceSchedules
}

// FirstResponse is the first-response target for a channel in a queue.
func (c *Config) FirstResponse(q Queue, channel string) time.Duration {
	return c.Policy(q, channel, 0).FirstResponse
}

// ChannelNames returns the configured channels in a stable order.
func (c *Config) ChannelNames() []string { return sortedKeys(c.Channels) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// validID reports whether s is a safe identifier: it becomes part of Redis keys.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// uniqueID checks that id is a valid id not seen before under field.
func uniqueID(errs *validation.Errors, field, id, kind string, seen map[string]bool) {
	switch {
	case !validID(id):
		errs.Add(field, "must be letters, digits, '-' or '_'")
	case seen[id]:
		errs.Add(field, "duplicate %s %q", kind, id)
	}
	seen[id] = true
}

// ValidID reports whether s can be used as an id (agents, queues, skills).
func ValidID(s string) bool { return validID(s) }

// Digest identifies the configuration: the SHA-256 of its JSON form.
// Replicas that run the same configuration have the same digest.
func (c *Config) Digest() string {
	b, err := json.Marshal(c)
	if err != nil {
		// Every field marshals; should one not, no two digests match and
		// agents are resynced at every start, which is safe.
		b = []byte(fmt.Sprintf("%p %v", c, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
