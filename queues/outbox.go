package queues

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Event is one entry of the workspace events stream.
type Event struct {
	ID     string
	Type   string
	At     time.Time
	Fields map[string]string
}

// Events returns up to count events after id ("0" for the start), oldest first.
func (s *Outbox) Events(ctx context.Context, after string, count int64) ([]Event, error) {
	start := "(" + after
	if after == "0" || after == "" {
		start = "-"
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.eventsKey(), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return toEvents(msgs), nil
}

// EnsureGroup creates a consumer group on the events stream, reading from its
// start, unless it exists.
func (s *Outbox) EnsureGroup(ctx context.Context, group string) error {
	return s.EnsureGroupFrom(ctx, group, "0")
}

// EnsureGroupFrom creates a consumer group that reads after id ("$": only
// events to come), unless it exists.
func (s *Outbox) EnsureGroupFrom(ctx context.Context, group, id string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.keys.eventsKey(), group, id).Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group %s: %w", group, err)
	}
	return nil
}

// ReadGroup returns events for consumer in group: first its own unacknowledged
// ones (after a restart), then new ones, waiting up to block.
func (s *Outbox) ReadGroup(ctx context.Context, group, consumer string, count int64, block time.Duration) ([]Event, error) {
	for _, start := range []string{"0", ">"} {
		args := &redis.XReadGroupArgs{Group: group, Consumer: consumer, Streams: []string{s.keys.eventsKey(), start}, Count: count, Block: -1}
		if start == ">" {
			args.Block = block
		}
		res, err := s.rdb.XReadGroup(ctx, args).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read group %s: %w", group, err)
		}
		var evs []Event
		for _, st := range res {
			evs = append(evs, toEvents(st.Messages)...)
		}
		if len(evs) > 0 {
			return evs, nil
		}
	}
	return nil, nil
}

// Ack acknowledges events read through a group.
func (s *Outbox) Ack(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.XAck(ctx, s.keys.eventsKey(), group, ids...).Err(); err != nil {
		return fmt.Errorf("ack %s: %w", group, err)
	}
	return nil
}

func toEvents(msgs []redis.XMessage) []Event {
	out := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		e := Event{ID: m.ID, Fields: map[string]string{}}
		for k, v := range m.Values {
			sv, _ := v.(string)
			switch k {
			case "type":
				e.Type = sv
			case "at":
				e.At = ms(sv)
			default:
				e.Fields[k] = sv
			}
		}
		out = append(out, e)
	}
	return out
}

func field(values map[string]any, k string) string {
	s, _ := values[k].(string)
	return s
}

// Lease takes or renews the named lease for owner; it reports whether owner
// holds it. A lease lapses after ttl unless renewed.
func (s *Outbox) Lease(ctx context.Context, now time.Time, name, owner string, ttl time.Duration) (bool, error) {
	args := struct {
		Name  string `json:"name"`
		Owner string `json:"owner"`
		TTLMS int64  `json:"ttl_ms"`
	}{name, owner, ttl.Milliseconds()}
	var r struct {
		Held bool `json:"held"`
	}
	if err := s.run(ctx, leaseScript, now, args, &r); err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return r.Held, nil
}

// DeadLetter keeps an event a subscriber could not take, with the last error.
func (s *Outbox) DeadLetter(ctx context.Context, subscriber string, entry []byte) error {
	if err := s.rdb.RPush(ctx, s.keys.deadLettersKey(subscriber), entry).Err(); err != nil {
		return fmt.Errorf("dead letter for %s: %w", subscriber, err)
	}
	return nil
}

// DeadLetters returns a subscriber's dead-letter list.
func (s *Outbox) DeadLetters(ctx context.Context, subscriber string) ([]string, error) {
	return s.rdb.LRange(ctx, s.keys.deadLettersKey(subscriber), 0, -1).Result()
}

// Claim takes over events that another consumer of group read but did not
// acknowledge within minIdle (a replica that stopped), up to count of them.
func (s *Outbox) Claim(ctx context.Context, group, consumer string, minIdle time.Duration, count int64) ([]Event, error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: s.keys.eventsKey(), Group: group, Consumer: consumer, MinIdle: minIdle, Start: "0-0", Count: count,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim for %s: %w", group, err)
	}
	return toEvents(msgs), nil
}
