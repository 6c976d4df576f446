package queues

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Shift is one scheduled working interval.
type Shift struct{ Start, End time.Time }

// AgentShifts is an agent's schedule (JSON, returned as is) and its working
// intervals for the coming days.
type AgentShifts struct {
	Agent    string
	Schedule []byte
	Shifts   []Shift
}

// SetSchedules stores schedules in one script, all or none; queues that
// enforce schedules offer each agent work only within its shifts. It returns
// how many of the agents are on shift now.
func (s *Plans) SetSchedules(ctx context.Context, now time.Time, rows []AgentShifts) (int, error) {
	type row struct {
		Agent    string     `json:"agent"`
		Schedule string     `json:"schedule"`
		Shifts   [][2]int64 `json:"shifts"`
	}
	args := struct {
		Schedules []row `json:"schedules"`
	}{make([]row, len(rows))}
	for i, r := range rows {
		ivs := make([][2]int64, len(r.Shifts))
		for j, sh := range r.Shifts {
			ivs[j] = [2]int64{sh.Start.UnixMilli(), sh.End.UnixMilli()}
		}
		args.Schedules[i] = row{r.Agent, string(r.Schedule), ivs}
	}
	var r struct {
		OnShift int `json:"on_shift"`
	}
	if err := s.run(ctx, setScheduleScript, now, args, &r); err != nil {
		return 0, fmt.Errorf("set %d schedules: %w", len(rows), err)
	}
	return r.OnShift, nil
}

// Schedule returns an agent's stored schedule (nil when it has none).
func (s *Plans) Schedule(ctx context.Context, agent string) ([]byte, error) {
	v, err := s.rdb.HGet(ctx, s.keys.agentKey(agent), "schedule").Result()
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
func (s *Plans) PresenceLog(ctx context.Context, agent string) ([]PresenceChange, error) {
	raw, err := s.rdb.LRange(ctx, s.keys.presenceLogKey(agent), 0, -1).Result()
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

// ForecastEntry is a planner's forecast for one queue, channel and interval.
type ForecastEntry struct {
	Start      time.Time
	Minutes    int
	Contacts   float64
	AHTSeconds float64
}

// SetForecast stores uploaded forecast entries of a queue and channel
// (replacing entries at the same starts) in one transaction.
func (s *Plans) SetForecast(ctx context.Context, queue, channel string, entries []ForecastEntry) error {
	k := s.keys.forecastKey(queue, channel)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range entries {
			p.HSet(ctx, k, strconv.FormatInt(e.Start.UnixMilli(), 10),
				fmt.Sprintf("%d|%g|%g", e.Minutes, e.Contacts, e.AHTSeconds))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set forecast of %s/%s: %w", queue, channel, err)
	}
	return nil
}

// Forecast returns the uploaded forecast of a queue and channel, by start.
func (s *Plans) Forecast(ctx context.Context, queue, channel string) (map[time.Time]ForecastEntry, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys.forecastKey(queue, channel)).Result()
	if err != nil {
		return nil, fmt.Errorf("forecast of %s/%s: %w", queue, channel, err)
	}
	out := map[time.Time]ForecastEntry{}
	for f, v := range h {
		ms, err := strconv.ParseInt(f, 10, 64)
		var e ForecastEntry
		if _, serr := fmt.Sscanf(v, "%d|%g|%g", &e.Minutes, &e.Contacts, &e.AHTSeconds); err != nil || serr != nil {
			continue
		}
		e.Start = time.UnixMilli(ms).UTC()
		out[e.Start] = e
	}
	return out, nil
}
