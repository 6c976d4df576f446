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

// Dead letters are capped and expire: a subscriber that stays broken does
// not grow Redis without bound.
const (
	deadLettersMax = 10000
	deadLettersTTL = 30 * 24 * time.Hour
)

// DeadLetter records an event a subscriber could not take: the newest
// deadLettersMax are kept, for deadLettersTTL after the latest.
func (s *Outbox) DeadLetter(ctx context.Context, subscriber string, entry []byte) error {
	k := s.keys.deadLettersKey(subscriber)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, k, entry)
		p.LTrim(ctx, k, -deadLettersMax, -1)
		p.Expire(ctx, k, deadLettersTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("dead letter for %s: %w", subscriber, err)
	}
	return nil
}

// DeadLetters returns a subscriber's dead-letter list.
func (s *Outbox) DeadLetters(ctx context.Context, subscriber string) ([]string, error) {
	return s.rdb.LRange(ctx, s.keys.deadLettersKey(subscriber), 0, -1).Result()
}

// ReplayDeadLetters hands a subscriber's dead letters (those of event, or
// all when it is "") back to its deliverer; it returns how many.
func (s *Outbox) ReplayDeadLetters(ctx context.Context, now time.Time, subscriber, event string) (int, error) {
	return s.deadLetters(ctx, now, subscriber, "replay", event)
}

// DeleteDeadLetters removes a subscriber's dead letters (those of event, or
// all when it is ""); it returns how many.
func (s *Outbox) DeleteDeadLetters(ctx context.Context, now time.Time, subscriber, event string) (int, error) {
	return s.deadLetters(ctx, now, subscriber, "delete", event)
}

func (s *Outbox) deadLetters(ctx context.Context, now time.Time, subscriber, op, event string) (int, error) {
	args := struct {
		Subscriber string `json:"subscriber"`
		Op         string `json:"op"`
		Event      string `json:"event"`
	}{subscriber, op, event}
	var r struct {
		Moved int `json:"moved"`
	}
	if err := s.run(ctx, deadLettersScript, now, args, &r); err != nil {
		return 0, fmt.Errorf("%s dead letters of %s: %w", op, subscriber, err)
	}
	return r.Moved, nil
}

// NextReplay takes the next dead letter handed back for redelivery ("" when none).
func (s *Outbox) NextReplay(ctx context.Context, subscriber string) (string, error) {
	l, err := s.rdb.LPop(ctx, s.keys.replayKey(subscriber)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return l, err
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

// Forget removes the events before id: for a reader that keeps its own
// place and follows the stream alone (a simulation), so that the stream
// holds only what it has not read.
func (s *Outbox) Forget(ctx context.Context, id string) error {
	return s.rdb.XTrimMinID(ctx, s.keys.eventsKey(), id).Err()
}

// GroupState is how far one consumer group of the events stream is.
type GroupState struct {
	Group     string
	Consumers int64
	// Pending counts the entries read and not acknowledged; Lag those not
	// read yet (-1 when Redis cannot tell).
	Pending, Lag int64
}

// Retained is what one retention pass did.
type Retained struct {
	Length  int64 // entries left
	Trimmed int64 // entries removed that every group had acknowledged
	// Dropped counts entries removed at the ceiling although a group had
	// not acknowledged them; Laggards names those groups.
	Dropped  int64
	Laggards []string
	Groups   []GroupState
	// Removed names the consumers dropped: idle past the limit, nothing pending.
	Removed []string
}

// Retain trims the events stream: entries every consumer group has
// acknowledged go (without groups, all but the newest keep); beyond the
// ceiling the oldest go whatever the lag, counted in Dropped. Consumers idle
// longer than idle with nothing pending are removed (a replica that
// restarted under a new name leaves its old one behind).
func (s *Outbox) Retain(ctx context.Context, keep int64, idle time.Duration) (Retained, error) {
	stream := s.keys.eventsKey()
	var out Retained
	groups, err := s.rdb.XInfoGroups(ctx, stream).Result()
	if err != nil && !strings.Contains(err.Error(), "no such key") {
		return out, fmt.Errorf("events groups: %w", err)
	}
	before, err := s.rdb.XLen(ctx, stream).Result()
	if err != nil {
		return out, err
	}
	// The oldest entry a group still needs: its oldest pending one, else
	// the one after its last delivered.
	minID := ""
	for _, g := range groups {
		need, _ := nextStreamID(g.LastDeliveredID)
		if g.Pending > 0 {
			p, err := s.rdb.XPending(ctx, stream, g.Name).Result()
			if err != nil {
				return out, fmt.Errorf("pending of %s: %w", g.Name, err)
			}
			need = p.Lower
		}
		if minID == "" || CompareStreamIDs(need, minID) < 0 {
			minID = need
		}
		out.Groups = append(out.Groups, GroupState{Group: g.Name, Consumers: g.Consumers, Pending: g.Pending, Lag: g.Lag})
		if idle > 0 {
			removed, err := s.dropIdleConsumers(ctx, g.Name, idle)
			if err != nil {
				return out, err
			}
			out.Removed = append(out.Removed, removed...)
		}
	}
	if len(groups) == 0 {
		if before > keep {
			if err := s.rdb.XTrimMaxLen(ctx, stream, keep).Err(); err != nil {
				return out, err
			}
		}
	} else if minID != "" {
		if err := s.rdb.XTrimMinID(ctx, stream, minID).Err(); err != nil {
			return out, fmt.Errorf("trim events: %w", err)
		}
	}
	after, err := s.rdb.XLen(ctx, stream).Result()
	if err != nil {
		return out, err
	}
	out.Trimmed = before - after
	if after > s.eventsCeiling {
		// Over the ceiling with unacknowledged entries: the oldest go, and
		// the groups that had not caught up lose them.
		if err := s.rdb.XTrimMaxLen(ctx, stream, s.eventsCeiling).Err(); err != nil {
			return out, err
		}
		now, err := s.rdb.XLen(ctx, stream).Result()
		if err != nil {
			return out, err
		}
		out.Dropped, after = after-now, now
		for _, g := range groups {
			if g.Pending > 0 || g.Lag != 0 {
				out.Laggards = append(out.Laggards, g.Name)
			}
		}
	}
	out.Length = after
	return out, nil
}

// dropIdleConsumers removes group's consumers idle longer than idle that
// hold nothing pending.
func (s *Outbox) dropIdleConsumers(ctx context.Context, group string, idle time.Duration) ([]string, error) {
	cs, err := s.rdb.XInfoConsumers(ctx, s.keys.eventsKey(), group).Result()
	if err != nil {
		return nil, fmt.Errorf("consumers of %s: %w", group, err)
	}
	var out []string
	for _, c := range cs {
		if c.Pending == 0 && c.Idle > idle {
			if err := s.rdb.XGroupDelConsumer(ctx, s.keys.eventsKey(), group, c.Name).Err(); err != nil {
				return out, err
			}
			out = append(out, group+"/"+c.Name)
		}
	}
	return out, nil
}

// ReleaseLease gives up a lease owner holds, so another replica takes the
// job at once instead of after the lease expires.
func (s *Outbox) ReleaseLease(ctx context.Context, now time.Time, name, owner string) error {
	args := struct {
		Name    string `json:"name"`
		Owner   string `json:"owner"`
		Release bool   `json:"release"`
	}{name, owner, true}
	return s.run(ctx, leaseScript, now, args, nil)
}
