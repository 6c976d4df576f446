package queues

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// bucket is the length of a service-level bucket; scripts use the same (BUCKET_MS).
const bucket = 15 * time.Minute

// Counts are a queue's service-level counters for the contacts created in a
// period: offered, answered (first response), answered within target,
// abandoned while waiting, and first-response breaches.
type Counts struct {
	Offered   int64 `json:"offered"`
	Answered  int64 `json:"answered"`
	InTarget  int64 `json:"answered_in_target"`
	Abandoned int64 `json:"abandoned"`
	Breached  int64 `json:"breached"`
	// Sums for averages: waits until an agent accepted, handle times (accept
	// to end of wrap-up) and waits before abandoning, in milliseconds.
	Accepted      int64 `json:"accepted"`
	WaitMS        int64 `json:"-"`
	Handled       int64 `json:"handled"`
	HandleMS      int64 `json:"-"`
	AbandonWaitMS int64 `json:"-"`
}

// counters names each counter as the scripts store it ("<channel>:<name>").
func (c *Counts) counters() map[string]*int64 {
	return map[string]*int64{
		"offered": &c.Offered, "answered": &c.Answered, "in_target": &c.InTarget, "abandoned": &c.Abandoned,
		"breached": &c.Breached, "accepted": &c.Accepted, "wait_ms": &c.WaitMS, "handled": &c.Handled,
		"handle_ms": &c.HandleMS, "abandon_wait_ms": &c.AbandonWaitMS,
	}
}

// Add sums counts.
func (c *Counts) Add(o Counts) {
	mine := c.counters()
	for name, v := range o.counters() {
		*mine[name] += *v
	}
}

// ServiceLevel is the share of answered contacts answered within target,
// leaving abandoned contacts out (-1 when none was answered).
func (c Counts) ServiceLevel() float64 {
	if c.Answered == 0 {
		return -1
	}
	return float64(c.InTarget) / float64(c.Answered)
}

// ServiceLevelWithAbandons counts abandoned contacts as missed:
// in target / (answered + abandoned) (-1 when there were none).
func (c Counts) ServiceLevelWithAbandons() float64 {
	if c.Answered+c.Abandoned == 0 {
		return -1
	}
	return float64(c.InTarget) / float64(c.Answered+c.Abandoned)
}

// ServiceCounts sums each queue's counters per channel over the 15-minute
// buckets from from to to; the result maps queue, then channel.
func (s *Figures) ServiceCounts(ctx context.Context, queues []string, from, to time.Time) (map[string]map[string]Counts, error) {
	first, last := from.UnixMilli()/bucket.Milliseconds(), to.UnixMilli()/bucket.Milliseconds()
	if last-first > 2000 {
		return nil, fmt.Errorf("service counts: period too long")
	}
	pipe := s.rdb.Pipeline()
	cmds := map[string][]*redis.MapStringStringCmd{}
	for _, q := range queues {
		for b := first; b <= last; b++ {
			cmds[q] = append(cmds[q], pipe.HGetAll(ctx, s.keys.serviceLevelKey(q, b)))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("service counts: %w", err)
	}
	out := map[string]map[string]Counts{}
	for q, cs := range cmds {
		out[q] = map[string]Counts{}
		for _, c := range cs {
			addFields(out[q], c.Val())
		}
	}
	return out, nil
}

// addFields adds one bucket's "<channel>:<counter>" fields to per-channel counts.
func addFields(into map[string]Counts, fields map[string]string) {
	for f, v := range fields {
		ch, counter, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		cnt := into[ch]
		if p := cnt.counters()[counter]; p != nil {
			n, _ := strconv.ParseInt(v, 10, 64)
			*p += n
		}
		into[ch] = cnt
	}
}

// EligibleAgents counts the agents eligible for each queue.
func (s *Figures) EligibleAgents(ctx context.Context, queues []string) (map[string]int64, error) {
	pipe := s.rdb.Pipeline()
	cmds := make(map[string]*redis.IntCmd, len(queues))
	for _, q := range queues {
		cmds[q] = pipe.SCard(ctx, s.keys.queueAgentsKey(q))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("eligible agents: %w", err)
	}
	out := make(map[string]int64, len(cmds))
	for q, c := range cmds {
		out[q] = c.Val()
	}
	return out, nil
}

// BucketCounts returns a queue's counters per channel for each 15-minute
// bucket from from to to (keyed by the bucket's start).
func (s *Figures) BucketCounts(ctx context.Context, queue string, from, to time.Time) (map[time.Time]map[string]Counts, error) {
	first, last := from.UnixMilli()/bucket.Milliseconds(), (to.UnixMilli()-1)/bucket.Milliseconds()
	if last-first > 40*96 {
		return nil, fmt.Errorf("bucket counts: period longer than 40 days")
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, 0, last-first+1)
	for b := first; b <= last; b++ {
		cmds = append(cmds, pipe.HGetAll(ctx, s.keys.serviceLevelKey(queue, b)))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("bucket counts: %w", err)
	}
	out := map[time.Time]map[string]Counts{}
	for i, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		at := time.UnixMilli((first + int64(i)) * bucket.Milliseconds()).UTC()
		out[at] = map[string]Counts{}
		addFields(out[at], c.Val())
	}
	return out, nil
}
