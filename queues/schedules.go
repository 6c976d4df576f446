package queues

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shift is one scheduled working interval.
type Shift struct{ Start, End time.Time }

// SetSchedule stores an agent's schedule (JSON, returned as is) and its
// working intervals for the coming days; with enforce, the agent gets offers
// only within them. It reports whether the agent is on shift now.
func (s *Store) SetSchedule(ctx context.Context, now time.Time, agent string, schedule []byte, shifts []Shift, enforce bool) (bool, error) {
	ivs := make([][2]int64, len(shifts))
	for i, sh := range shifts {
		ivs[i] = [2]int64{sh.Start.UnixMilli(), sh.End.UnixMilli()}
	}
	raw, _ := json.Marshal(ivs)
	e := 0
	if enforce {
		e = 1
	}
	res, err := s.run(ctx, setScheduleScript, now, agent, string(schedule), string(raw), e)
	if err != nil {
		return false, fmt.Errorf("set schedule of %s: %w", agent, err)
	}
	return num(at(res, 0)) == 1, nil
}

// Schedule returns an agent's stored schedule (nil when it has none).
func (s *Store) Schedule(ctx context.Context, agent string) ([]byte, error) {
	v, err := s.rdb.HGet(ctx, s.agentKey(agent), "schedule").Result()
	if err != nil && err.Error() != "redis: nil" {
		return nil, fmt.Errorf("schedule of %s: %w", agent, err)
	}
	if v == "" {
		return nil, nil
	}
	return []byte(v), nil
}

// PresenceChange is one change of an agent's presence.
type PresenceChange struct {
	At       time.Time
	Presence string
}

// PresenceLog returns an agent's recent presence changes, oldest first.
func (s *Store) PresenceLog(ctx context.Context, agent string) ([]PresenceChange, error) {
	raw, err := s.rdb.LRange(ctx, s.key("agent", agent, "presence_log"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("presence log of %s: %w", agent, err)
	}
	out := make([]PresenceChange, 0, len(raw))
	for _, r := range raw {
		at, p, ok := strings.Cut(r, "|")
		ms, err := strconv.ParseInt(at, 10, 64)
		if ok && err == nil {
			out = append(out, PresenceChange{At: time.UnixMilli(ms).UTC(), Presence: p})
		}
	}
	return out, nil
}
