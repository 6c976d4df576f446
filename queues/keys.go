package queues

import (
	"context"
	"strconv"
)

// Every Redis key Switchboard uses is built here (and, for scripts, by key() in
// lua/lib.lua from the same prefix), and every kind is listed in Kinds: a test
// fails when Go or Lua builds a key of a kind not listed, or when Go builds
// one outside this file. The {workspace} hash tag keeps all keys of a
// workspace in one cluster slot, so every script touches one slot.

// Prefix is the key prefix of a workspace.
func Prefix(workspace string) string { return "sb:{" + workspace + "}:" }

// Kind is one kind of key under the workspace prefix; <...> are the
// variable parts.
type Kind struct {
	Pattern, Type, Holds string
}

// Kinds lists every kind of key of a workspace.
var Kinds = []Kind{
	{"agent:<id>", "hash", "an agent's profile and live state: presence, load per channel, eligibility"},
	{"agent:<id>:tasks", "set", "the tasks an agent holds (reserved, assigned, wrapping)"},
	{"agent:<id>:stream", "stream", "what the agent's desktop must see; its history, for resume"},
	{"agent:<id>:shifts", "zset", "the agent's scheduled working intervals"},
	{"agent:<id>:presence_log", "list", "the agent's presence changes, for adherence"},
	{"agent:<id>:desktops", "set", "the replicas holding the agent's desktop stream"},
	{"agent-feed", "pub/sub channel", "every agent stream entry, for the replicas' hubs"},
	{"agents", "set", "every agent id"},
	{"presence:<state>", "set", "the agents in a presence"},
	{"stream-replica:<replica>", "set", "the agents whose desktop a replica holds"},
	{"stream-replicas", "zset", "replicas by the expiry of their desktop lease"},
	{"task:<id>", "hash", "one task"},
	{"task:<id>:messages", "list", "a conversation's messages"},
	{"task:<id>:escalations", "list", "the escalation steps applied to a task"},
	{"task:<id>:delivery", "hash", "delivery status of a task's outbound messages"},
	{"q:<queue>:<channel>:waiting", "zset", "queued tasks by urgency"},
	{"q:<queue>:<channel>:age", "zset", "queued tasks by creation time"},
	{"q:<queue>:<channel>:avail", "zset", "agents able to take the channel now, in strategy order"},
	{"q:<queue>:<channel>:avail:<level>", "zset", "the same, for agents below the queue's minimum proficiency"},
	{"q:<queue>:agents", "set", "the agents eligible for a queue"},
	{"timers", "zset", "every timed transition by due time"},
	{"idem:<key>", "string", "the task of an idempotency key"},
	{"events", "stream", "every transition (the outbox)"},
	{"identity:<identity>", "string", "the customer of an identity"},
	{"customer:<id>", "hash", "a customer"},
	{"customer:<id>:identities", "set", "a customer's identities"},
	{"customer:<id>:timeline", "zset", "a customer's tasks by creation time"},
	{"conv:<customer>:<channel>", "string", "a customer's open conversation on a channel"},
	{"msg:<sid>", "string", "the task of an outbound message"},
	{"sl:<queue>:<bucket>", "hash", "service-level counters of a 15-minute bucket"},
	{"forecast:<queue>:<channel>", "hash", "a stored forecast"},
	{"lease:<name>", "string", "a named lease (one replica at a time does a job)"},
	{"webhook:<subscriber>:dead", "list", "events a subscriber could not take"},
	{"ratelimit:<scope>:<name>", "string (redis_rate)", "a caller's rate-limit allowance"},
}

// RateLimitKey is the key of a caller's allowance (redis_rate adds its own
// "rate:" in front; the hash tag still names the workspace).
func RateLimitKey(workspace, scope, name string) string {
	return Prefix(workspace) + "ratelimit:" + scope + ":" + name
}

func (s *Store) key(parts ...string) string {
	k := s.prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

func (s *Store) agentKey(id string) string       { return s.key("agent", id) }
func (s *Store) agentTasksKey(id string) string  { return s.key("agent", id, "tasks") }
func (s *Store) agentStreamKey(id string) string { return s.key("agent", id, "stream") }
func (s *Store) agentsKey() string               { return s.key("agents") }
func (s *Store) presenceKey(state string) string { return s.key("presence", state) }
func (s *Store) taskKey(id string) string        { return s.key("task", id) }
func (s *Store) waitingKey(q, ch string) string  { return s.key("q", q, ch, "waiting") }
func (s *Store) ageKey(q, ch string) string      { return s.key("q", q, ch, "age") }
func (s *Store) availKey(q, ch string) string    { return s.key("q", q, ch, "avail") }
func (s *Store) timersKey() string               { return s.key("timers") }
func (s *Store) eventsKey() string               { return s.key("events") }
func (s *Store) agentFeedChannel() string        { return s.key("agent-feed") }
func (s *Store) presenceLogKey(agent string) string {
	return s.key("agent", agent, "presence_log")
}
func (s *Store) queueAgentsKey(q string) string { return s.key("q", q, "agents") }
func (s *Store) serviceLevelKey(q string, bucket int64) string {
	return s.key("sl", q, strconv.FormatInt(bucket, 10))
}
func (s *Store) forecastKey(q, ch string) string         { return s.key("forecast", q, ch) }
func (s *Store) deadLettersKey(subscriber string) string { return s.key("webhook", subscriber, "dead") }
func (s *Store) customerKey(id string) string            { return s.key("customer", id) }
func (s *Store) customerIdentitiesKey(id string) string  { return s.key("customer", id, "identities") }
func (s *Store) customerTimelineKey(id string) string    { return s.key("customer", id, "timeline") }
func (s *Store) identityKey(identity string) string      { return s.key("identity", identity) }
func (s *Store) idempotencyKey(key string) string        { return s.key("idem", key) }
func (s *Store) messagesKey(task string) string          { return s.key("task", task, "messages") }
func (s *Store) escalationsKey(task string) string       { return s.key("task", task, "escalations") }

// DropWorkspace deletes every key of the store's workspace (simulations and
// benchmarks run in workspaces of their own and remove them afterwards).
func (s *Store) DropWorkspace(ctx context.Context) error {
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, s.prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}
