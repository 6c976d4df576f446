package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Presence states.
const (
	Offline   = "offline"
	Available = "available"
	Away      = "away"
	AfterCall = "acw"
)

// Presences lists every presence state.
var Presences = []string{Offline, Available, Away, AfterCall}

// Eligibility says an agent may take contacts from a queue, and how the
// queue's strategy ranks it there.
type Eligibility struct {
	Queue       string `json:"q"`
	Proficiency int    `json:"p"`
	Strategy    string `json:"s"`
	// Below marks an agent under the queue's minimum proficiency: it takes
	// only tasks whose escalation lowered the minimum to its level.
	Below bool `json:"b,omitempty"`
	// Enforce: the queue offers work only while the agent's schedule says so.
	Enforce bool `json:"e,omitempty"`
}

// AgentSpec is what routing needs to know of an agent's profile.
type AgentSpec struct {
	ID          string
	Profile     []byte // the planner's profile, returned as is
	Queues      []Eligibility
	Capacity    map[string]int
	VoiceBlocks []string
	// AutoAnswer: offers to the agent are accepted at once (an agent on a
	// headset who wants calls put straight through).
	AutoAnswer bool
	// Expect, when set, makes the write conditional: it applies only if the
	// agent exists and its stored profile is still exactly Expect (a resync
	// never reverts a change made since it read, nor revives a deleted agent).
	Expect []byte
}

// AgentState is an agent's profile with its live state.
type AgentState struct {
	ID         string          `json:"-"`
	Profile    json.RawMessage `json:"-"`
	Presence   string          `json:"presence"`
	Reason     string          `json:"reason,omitempty"`
	PresenceAt time.Time       `json:"presence_since"`
	Load       map[string]int  `json:"load"`
	Capacity   map[string]int  `json:"-"`
	Queues     []string        `json:"queues"`
	Missed     int             `json:"missed_offers"`
	OnShift    bool            `json:"on_shift"`  // false when the agent's schedule says off or on a break
	Scheduled  bool            `json:"scheduled"` // the agent has a schedule
	Tasks      []string        `json:"tasks"`
}

// agentArgs is what the upsert scripts take for one agent: the profile, and
// eligibility, capacity and voice blocks as JSON text (never null), stored as
// given.
type agentArgs struct {
	ID      string  `json:"id"`
	Profile string  `json:"profile"`
	Queues  string  `json:"queues"`
	Caps    string  `json:"caps"`
	Blocks  string  `json:"blocks"`
	Auto    bool    `json:"auto"`
	Expect  *string `json:"expect,omitempty"`
}

func (a AgentSpec) args() agentArgs {
	queues, _ := json.Marshal(nonNil(a.Queues))
	caps := a.Capacity
	if caps == nil {
		caps = map[string]int{}
	}
	capsJSON, _ := json.Marshal(caps)
	blocks, _ := json.Marshal(nonNil(a.VoiceBlocks))
	args := agentArgs{ID: a.ID, Profile: string(a.Profile), Queues: string(queues), Caps: string(capsJSON), Blocks: string(blocks), Auto: a.AutoAnswer}
	if a.Expect != nil {
		e := string(a.Expect)
		args.Expect = &e
	}
	return args
}

// offersMade is the reply of the scripts that report only the offers made.
type offersMade struct {
	Offers int `json:"offers"`
}

// UpsertAgent creates or replaces an agent. It returns whether it was created
// and how many offers routing made as a result.
func (s *Store) UpsertAgent(ctx context.Context, now time.Time, a AgentSpec) (created bool, offers int, err error) {
	var r struct {
		Created bool `json:"created"`
		Offers  int  `json:"offers"`
	}
	if err := s.run(ctx, upsertAgentScript, now, a.args(), &r); err != nil {
		return false, 0, fmt.Errorf("upsert agent %s: %w", a.ID, err)
	}
	return r.Created, r.Offers, nil
}

// UpsertAgents creates or replaces many agents in one script: all or none.
// It returns how many were created and how many updated.
func (s *Store) UpsertAgents(ctx context.Context, now time.Time, specs []AgentSpec) (created, updated int, err error) {
	args := struct {
		Agents []agentArgs `json:"agents"`
	}{make([]agentArgs, len(specs))}
	for i, a := range specs {
		args.Agents[i] = a.args()
	}
	var r struct {
		Created int `json:"created"`
		Updated int `json:"updated"`
	}
	if err := s.run(ctx, upsertAgentsScript, now, args, &r); err != nil {
		return 0, 0, fmt.Errorf("upsert %d agents: %w", len(specs), err)
	}
	return r.Created, r.Updated, nil
}

// ResyncAgents rewrites agents read a moment before, each only if its stored
// profile is still the one read (Expect): it returns how many it applied and
// how many it skipped (changed or deleted since).
func (s *Store) ResyncAgents(ctx context.Context, now time.Time, specs []AgentSpec) (applied, skipped int, err error) {
	args := struct {
		Agents []agentArgs `json:"agents"`
	}{make([]agentArgs, len(specs))}
	for i, a := range specs {
		if a.Expect == nil {
			return 0, 0, fmt.Errorf("resync agent %s: no profile to expect", a.ID)
		}
		args.Agents[i] = a.args()
	}
	var r struct {
		Updated int `json:"updated"`
		Skipped int `json:"skipped"`
	}
	if err := s.run(ctx, upsertAgentsScript, now, args, &r); err != nil {
		return 0, 0, fmt.Errorf("resync %d agents: %w", len(specs), err)
	}
	return r.Updated, r.Skipped, nil
}

// ConfigDigest is the digest of the configuration the agents were last
// resynced with ("" for none).
func (s *Store) ConfigDigest(ctx context.Context) (string, error) {
	d, err := s.rdb.Get(ctx, s.keys.configDigestKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return d, err
}

// SetConfigDigest records the configuration the agents now follow.
func (s *Store) SetConfigDigest(ctx context.Context, digest string) error {
	return s.rdb.Set(ctx, s.keys.configDigestKey(), digest, 0).Err()
}

// DeleteAgent removes an agent that holds no task.
func (s *Store) DeleteAgent(ctx context.Context, now time.Time, id string) error {
	args := struct {
		Agent string `json:"agent"`
	}{id}
	if err := s.run(ctx, deleteAgentScript, now, args, nil); err != nil {
		return fmt.Errorf("delete agent %s: %w", id, err)
	}
	return nil
}

// SetPresence changes an agent's presence and returns the offers routing made.
func (s *Store) SetPresence(ctx context.Context, now time.Time, id, presence, reason string) (int, error) {
	args := struct {
		Agent    string `json:"agent"`
		Presence string `json:"presence"`
		Reason   string `json:"reason"`
	}{id, presence, reason}
	var r offersMade
	if err := s.run(ctx, setPresenceScript, now, args, &r); err != nil {
		return 0, fmt.Errorf("set presence of %s: %w", id, err)
	}
	return r.Offers, nil
}

// GetAgent returns one agent, or an error wrapping ErrNotFound.
func (s *Store) GetAgent(ctx context.Context, id string) (AgentState, error) {
	states, err := s.getAgents(ctx, []string{id})
	if err != nil {
		return AgentState{}, err
	}
	if len(states) == 0 {
		return AgentState{}, &Error{Code: "agent_not_found", Detail: id}
	}
	return states[0], nil
}

// ListAgents returns every agent, ordered by id.
func (s *Store) ListAgents(ctx context.Context) ([]AgentState, error) {
	ids, err := s.rdb.SMembers(ctx, s.keys.agentsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	slices.Sort(ids)
	return s.getAgents(ctx, ids)
}

func (s *Store) getAgents(ctx context.Context, ids []string) ([]AgentState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	hashes := make([]*redis.MapStringStringCmd, len(ids))
	tasks := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		hashes[i] = pipe.HGetAll(ctx, s.keys.agentKey(id))
		tasks[i] = pipe.SMembers(ctx, s.keys.agentTasksKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	out := make([]AgentState, 0, len(ids))
	for i, id := range ids {
		h := hashes[i].Val()
		if len(h) == 0 {
			continue
		}
		st := AgentState{
			ID:         id,
			Profile:    json.RawMessage(h["profile"]),
			Presence:   h["presence"],
			Reason:     h["reason"],
			PresenceAt: ms(h["presence_at"]),
			Load:       map[string]int{},
			Capacity:   map[string]int{},
			Tasks:      tasks[i].Val(),
		}
		st.Missed, _ = strconv.Atoi(h["missed"])
		st.OnShift = h["off_shift"] != "1"
		st.Scheduled = h["off_shift"] != ""
		_ = json.Unmarshal([]byte(h["caps"]), &st.Capacity)
		var elig []Eligibility
		_ = json.Unmarshal([]byte(h["queues"]), &elig)
		st.Queues = []string{}
		for _, e := range elig {
			if !e.Below {
				st.Queues = append(st.Queues, e.Queue)
			}
		}
		for ch := range st.Capacity {
			st.Load[ch], _ = strconv.Atoi(h["load:"+ch])
		}
		for f, v := range h {
			if ch, ok := strings.CutPrefix(f, "load:"); ok {
				st.Load[ch], _ = strconv.Atoi(v)
			}
		}
		slices.Sort(st.Tasks)
		out = append(out, st)
	}
	return out, nil
}

func ms(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "" {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
