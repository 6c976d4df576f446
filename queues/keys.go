package queues

import "context"

// Every Redis key Switchboard uses is built here (and, for scripts, by key() in
// lua/lib.lua from the same prefix). The {workspace} hash tag keeps all keys of
// a workspace in one cluster slot, so every script touches one slot.

// Prefix is the key prefix of a workspace.
func Prefix(workspace string) string { return "sb:{" + workspace + "}:" }

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
