package queues

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
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
	{"tasks", "zset", "every task by creation time (GET /v1/tasks)"},
	{"tasks:queue:<queue>", "zset", "the tasks of a queue (now or before a transfer) by creation time"},
	{"tasks:agent:<id>", "zset", "the tasks an agent was assigned, by creation time"},
	{"task:<id>:messages", "list", "a conversation's messages"},
	{"task:<id>:escalations", "list", "the escalation steps applied to a task"},
	{"task:<id>:delivery", "hash", "delivery status of a task's outbound messages"},
	{"q:<queue>:<channel>:waiting", "zset", "queued tasks by urgency"},
	{"q:<queue>:<channel>:age", "zset", "queued tasks by creation time"},
	{"q:<queue>:<channel>:avail", "zset", "agents able to take the channel now, in strategy order"},
	{"q:<queue>:<channel>:avail:<level>", "zset", "the same, for agents below the queue's minimum proficiency"},
	{"q:<queue>:agents", "set", "the agents eligible for a queue"},
	{"waiting", "hash", "how many tasks wait in each queue and channel (field <queue>:<channel>)"},
	{"timers", "zset", "every timed transition by due time"},
	{"idem:<key>", "string", "the task of an idempotency key"},
	{"events", "stream", "every transition (the outbox)"},
	{"identity:<identity>", "string", "the customer of an identity"},
	{"customer:<id>", "hash", "a customer"},
	{"survey:<customer>", "string", "the task whose survey the customer may answer now (expires with the survey's window)"},
	{"surveys", "zset", "completed tasks to survey, by when to ask"},
	{"customer:<id>:identities", "set", "a customer's identities"},
	{"customer:<id>:timeline", "zset", "a customer's tasks by creation time"},
	{"conv:<customer>:<channel>", "string", "a customer's open conversation on a channel"},
	{"msg:<sid>", "string", "the task of an outbound message"},
	{"handoffs", "zset", "provider hand-offs (connect a call, send a reply) by when they may next be tried"},
	{"handoff:<id>", "hash", "one provider hand-off: kind, task, agent, attempts, last error, what it sends"},
	{"sl:<queue>:<bucket>", "hash", "service-level counters of a 15-minute bucket"},
	{"forecast:<queue>:<channel>", "hash", "a stored forecast"},
	{"lease:<name>", "string", "a named lease (one replica at a time does a job)"},
	{"webhook:<subscriber>:dead", "list", "events a subscriber could not take (the newest 10,000, for 30 days)"},
	{"webhook:<subscriber>:replay", "list", "dead letters handed back for redelivery"},
	{"job:<id>", "hash", "a background job: kind, state, progress, owner, input, result (kept a day)"},
	{"jobs-running", "zset", "the running jobs by the expiry of their replica's lease"},
	{"epoch", "string", "the mark of this life of the workspace's data: gone, the data is gone (Redis came back empty)"},
	{"config-digest", "string", "the digest of the configuration agents' eligibility was last computed with"},
	{"ratelimit:<scope>:<name>", "string (redis_rate)", "a caller's rate-limit allowance"},
}

// RateLimitKey is the key of a caller's allowance (redis_rate adds its own
// "rate:" in front; the hash tag still names the workspace).
func RateLimitKey(workspace, scope, name string) string {
	return Prefix(workspace) + "ratelimit:" + scope + ":" + name
}

// keyspace builds the keys of one workspace: its prefix.
type keyspace string

func (ks keyspace) key(parts ...string) string {
	k := string(ks)
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

func (ks keyspace) agentKey(id string) string       { return ks.key("agent", id) }
func (ks keyspace) agentTasksKey(id string) string  { return ks.key("agent", id, "tasks") }
func (ks keyspace) agentStreamKey(id string) string { return ks.key("agent", id, "stream") }
func (ks keyspace) agentsKey() string               { return ks.key("agents") }
func (ks keyspace) presenceKey(state string) string { return ks.key("presence", state) }
func (ks keyspace) taskKey(id string) string        { return ks.key("task", id) }
func (ks keyspace) waitingKey(q, ch string) string  { return ks.key("q", q, ch, "waiting") }
func (ks keyspace) ageKey(q, ch string) string      { return ks.key("q", q, ch, "age") }
func (ks keyspace) availKey(q, ch string) string    { return ks.key("q", q, ch, "avail") }
func (ks keyspace) timersKey() string               { return ks.key("timers") }
func (ks keyspace) eventsKey() string               { return ks.key("events") }
func (ks keyspace) handoffsKey() string             { return ks.key("handoffs") }
func (ks keyspace) configDigestKey() string         { return ks.key("config-digest") }
func (ks keyspace) epochKey() string                { return ks.key("epoch") }
func (ks keyspace) jobKey(id string) string         { return ks.key("job", id) }
func (ks keyspace) agentFeedChannel() string        { return ks.key("agent-feed") }
func (ks keyspace) presenceLogKey(agent string) string {
	return ks.key("agent", agent, "presence_log")
}
func (ks keyspace) queueAgentsKey(q string) string { return ks.key("q", q, "agents") }
func (ks keyspace) serviceLevelKey(q string, bucket int64) string {
	return ks.key("sl", q, strconv.FormatInt(bucket, 10))
}
func (ks keyspace) forecastKey(q, ch string) string { return ks.key("forecast", q, ch) }
func (ks keyspace) deadLettersKey(subscriber string) string {
	return ks.key("webhook", subscriber, "dead")
}
func (ks keyspace) replayKey(subscriber string) string {
	return ks.key("webhook", subscriber, "replay")
}
func (ks keyspace) customerKey(id string) string { return ks.key("customer", id) }
func (ks keyspace) customerIdentitiesKey(id string) string {
	return ks.key("customer", id, "identities")
}
func (ks keyspace) customerTimelineKey(id string) string { return ks.key("customer", id, "timeline") }
func (ks keyspace) identityKey(identity string) string   { return ks.key("identity", identity) }
func (ks keyspace) idempotencyKey(key string) string     { return ks.key("idem", key) }
func (ks keyspace) messagesKey(task string) string       { return ks.key("task", task, "messages") }
func (ks keyspace) escalationsKey(task string) string    { return ks.key("task", task, "escalations") }

// DropWorkspace deletes every key of the store's workspace (simulations and
// benchmarks run in workspaces of their own and remove them afterwards).
func (s *Store) DropWorkspace(ctx context.Context) error {
	drop := func(ctx context.Context, node redis.UniversalClient) error {
		var cursor uint64
		for {
			keys, next, err := node.Scan(ctx, cursor, string(s.keys)+"*", 1000).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				if err := node.Del(ctx, keys...).Err(); err != nil {
					return err
				}
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	// On Cluster, SCAN sees one node: the workspace's slot is on one of the
	// masters, so each is scanned.
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return drop(ctx, n) })
	}
	return drop(ctx, s.rdb)
}
