package queues

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// QueueStat is the live state of one queue on one channel.
type QueueStat struct {
	Queue, Channel string
	Waiting        int64
	Available      int64     // agents who could take a contact now
	OldestCreated  time.Time // zero when nothing waits
}

// QueueStats reads the live figures of every queue on every channel in one
// round trip; it costs O(queues x channels), whatever the number of tasks.
func (s *Figures) QueueStats(ctx context.Context, queues, channels []string) ([]QueueStat, error) {
	type cmds struct {
		waiting, avail *redis.IntCmd
		oldest         *redis.ZSliceCmd
	}
	pipe := s.rdb.Pipeline()
	out := make([]QueueStat, 0, len(queues)*len(channels))
	cs := make([]cmds, 0, cap(out))
	for _, q := range queues {
		for _, ch := range channels {
			out = append(out, QueueStat{Queue: q, Channel: ch})
			cs = append(cs, cmds{
				waiting: pipe.ZCard(ctx, s.keys.waitingKey(q, ch)),
				avail:   pipe.ZCard(ctx, s.keys.availKey(q, ch)),
				oldest:  pipe.ZRangeWithScores(ctx, s.keys.ageKey(q, ch), 0, 0),
			})
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	for i, c := range cs {
		out[i].Waiting = c.waiting.Val()
		out[i].Available = c.avail.Val()
		if z := c.oldest.Val(); len(z) > 0 {
			out[i].OldestCreated = time.UnixMilli(int64(z[0].Score)).UTC()
		}
	}
	return out, nil
}

// PresenceCounts returns how many agents are in each presence state.
func (s *Figures) PresenceCounts(ctx context.Context) (map[string]int64, error) {
	pipe := s.rdb.Pipeline()
	cmds := make(map[string]*redis.IntCmd, len(Presences))
	for _, p := range Presences {
		cmds[p] = pipe.SCard(ctx, s.keys.presenceKey(p))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("presence counts: %w", err)
	}
	out := make(map[string]int64, len(cmds))
	for p, c := range cmds {
		out[p] = c.Val()
	}
	return out, nil
}

// TimersDue counts the timers due at now that have not fired.
func (s *Figures) TimersDue(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.rdb.ZCount(ctx, s.keys.timersKey(), "-inf", fmt.Sprint(now.UnixMilli())).Result()
	if err != nil {
		return 0, fmt.Errorf("count due timers: %w", err)
	}
	return n, nil
}

// NextTimer returns the due time of the earliest timer (zero when none).
func (s *Figures) NextTimer(ctx context.Context) (time.Time, error) {
	z, err := s.rdb.ZRangeWithScores(ctx, s.keys.timersKey(), 0, 0).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("next timer: %w", err)
	}
	if len(z) == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(int64(z[0].Score)).UTC(), nil
}
