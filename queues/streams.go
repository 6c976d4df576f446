package queues

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Message is one entry of an agent's stream: Type names it (offer,
// offer.rescinded, task.assigned, ...), Data is its JSON body.
type Message struct {
	ID   string
	Type string
	Data string
}

// Event is one entry of the workspace events stream.
type Event struct {
	ID     string
	Type   string
	At     time.Time
	Fields map[string]string
}

// AgentStreamTail returns the id of the newest entry of an agent's stream
// ("0" when it is empty): reading after it yields only what comes next.
func (s *Store) AgentStreamTail(ctx context.Context, agent string) (string, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.keys.agentStreamKey(agent), "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("read stream of %s: %w", agent, err)
	}
	if len(msgs) == 0 {
		return "0", nil
	}
	return msgs[0].ID, nil
}

// AgentHistory returns up to count entries of an agent's stream after id,
// oldest first. lost reports that entries after id are gone: trimmed away,
// or id is newer than anything the stream has had (the stream was removed,
// or Redis lost its data).
func (s *Store) AgentHistory(ctx context.Context, agent, after string, count int64) (msgs []Message, lost bool, err error) {
	k := s.keys.agentStreamKey(agent)
	pipe := s.rdb.Pipeline()
	info := pipe.XInfoStream(ctx, k)
	oldest := pipe.XRangeN(ctx, k, "-", "+", 1)
	start, ok := nextStreamID(after)
	if !ok {
		// Nothing can come after the largest id: it is not one of ours.
		return nil, true, nil
	}
	page := pipe.XRangeN(ctx, k, start, "+", count)
	_, _ = pipe.Exec(ctx)
	if err := page.Err(); err != nil {
		return nil, false, fmt.Errorf("read stream of %s: %w", agent, err)
	}
	zero := CompareStreamIDs(after, "0-0") == 0
	switch in, err := info.Result(); {
	case err != nil:
		// No stream: nothing was ever appended, or it is gone.
		lost = !zero
	case CompareStreamIDs(after, in.LastGeneratedID) > 0:
		lost = true
	default:
		// Trimming removes the oldest entries: something after id is gone
		// only if entries were removed and id is older than the oldest held.
		// A server that does not count entries added (the embedded one) has
		// trimmed only once the stream reached its length.
		o := oldest.Val()
		removed := in.EntriesAdded > in.Length || (in.EntriesAdded == 0 && in.Length >= s.streamMax)
		lost = removed && len(o) > 0 && CompareStreamIDs(after, o[0].ID) < 0
	}
	for _, m := range page.Val() {
		msgs = append(msgs, Message{ID: m.ID, Type: field(m.Values, "type"), Data: field(m.Values, "data")})
	}
	return msgs, lost, nil
}

// ListenAgents follows the agent feed, on which every script publishes what it
// appends to an agent's stream, until ctx ends. subscribed is called after
// every (re)subscription: entries published while the subscription was down
// are not replayed, so whoever serves desktops catches up from the streams.
// entry is called for every entry, in the order they were appended.
func (s *Store) ListenAgents(ctx context.Context, subscribed func(), entry func(agent string, m Message)) error {
	ps := s.rdb.Subscribe(ctx, s.keys.agentFeedChannel())
	defer ps.Close()
	ch := ps.ChannelWithSubscriptions(redis.WithChannelSize(4096))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return errors.New("agent feed closed")
			}
			switch v := m.(type) {
			case *redis.Subscription:
				if v.Kind == "subscribe" {
					subscribed()
				}
			case *redis.Message:
				parts := strings.SplitN(v.Payload, "\n", 4)
				if len(parts) == 4 {
					entry(parts[0], Message{ID: parts[1], Type: parts[2], Data: parts[3]})
				}
			}
		}
	}
}

// OpenDesktops records that replica holds these agents' desktops: their
// pending disconnects are called off, and replica's lease (grace) is renewed.
func (s *Store) OpenDesktops(ctx context.Context, now time.Time, replica string, grace time.Duration, agents []string) error {
	_, err := s.desktops(ctx, now, "open", replica, grace, agents)
	return err
}

// CloseDesktops records that replica's last desktop of each agent closed: an
// agent whose desktop is nowhere else goes away after grace.
func (s *Store) CloseDesktops(ctx context.Context, now time.Time, replica string, grace time.Duration, agents []string) error {
	_, err := s.desktops(ctx, now, "close", replica, grace, agents)
	return err
}

// RenewDesktops renews replica's lease on all its desktops until now + grace,
// and lets go of the desktops of replicas whose lease ran out (their agents
// go away), in bounded steps.
func (s *Store) RenewDesktops(ctx context.Context, now time.Time, replica string, grace time.Duration) error {
	for {
		more, err := s.desktops(ctx, now, "renew", replica, grace, nil)
		if err != nil || !more {
			return err
		}
	}
}

func (s *Store) desktops(ctx context.Context, now time.Time, op, replica string, grace time.Duration, agents []string) (bool, error) {
	args := struct {
		Op      string   `json:"op"`
		Replica string   `json:"replica"`
		GraceMS int64    `json:"grace_ms"`
		Agents  []string `json:"agents,omitempty"`
	}{op, replica, grace.Milliseconds(), agents}
	var r struct {
		More bool `json:"more"`
	}
	if err := s.run(ctx, desktopsScript, now, args, &r); err != nil {
		return false, fmt.Errorf("desktops %s: %w", op, err)
	}
	return r.More, nil
}

// CompareStreamIDs orders two stream ids ("ms-seq" or "ms") as Redis does.
func CompareStreamIDs(a, b string) int {
	am, as := splitID(a)
	bm, bs := splitID(b)
	if c := cmp.Compare(am, bm); c != 0 {
		return c
	}
	return cmp.Compare(as, bs)
}

func splitID(id string) (ms, seq uint64) {
	m, sq, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(sq, 10, 64)
	return ms, seq
}

// ValidStreamID reports whether id is a Redis stream id ("ms-seq" or "ms",
// each part a 64-bit unsigned number).
func ValidStreamID(id string) bool {
	ms, seq, found := strings.Cut(id, "-")
	if !digits(ms) || (found && !digits(seq)) {
		return false
	}
	if _, err := strconv.ParseUint(ms, 10, 64); err != nil {
		return false
	}
	if _, err := strconv.ParseUint(seq, 10, 64); found && err != nil {
		return false
	}
	return true
}

// nextStreamID is the smallest id after id (an inclusive start for XRANGE);
// false when id is the largest there is.
func nextStreamID(id string) (string, bool) {
	ms, seq := splitID(id)
	switch {
	case seq < math.MaxUint64:
		seq++
	case ms < math.MaxUint64:
		ms, seq = ms+1, 0
	default:
		return "", false
	}
	return strconv.FormatUint(ms, 10) + "-" + strconv.FormatUint(seq, 10), true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Events returns up to count events after id ("0" for the start), oldest first.
func (s *Store) Events(ctx context.Context, after string, count int64) ([]Event, error) {
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
func (s *Store) EnsureGroup(ctx context.Context, group string) error {
	return s.EnsureGroupFrom(ctx, group, "0")
}

// EnsureGroupFrom creates a consumer group that reads after id ("$": only
// events to come), unless it exists.
func (s *Store) EnsureGroupFrom(ctx context.Context, group, id string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.keys.eventsKey(), group, id).Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group %s: %w", group, err)
	}
	return nil
}

// ReadGroup returns events for consumer in group: first its own unacknowledged
// ones (after a restart), then new ones, waiting up to block.
func (s *Store) ReadGroup(ctx context.Context, group, consumer string, count int64, block time.Duration) ([]Event, error) {
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
func (s *Store) Ack(ctx context.Context, group string, ids ...string) error {
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
func (s *Store) Lease(ctx context.Context, now time.Time, name, owner string, ttl time.Duration) (bool, error) {
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
func (s *Store) DeadLetter(ctx context.Context, subscriber string, entry []byte) error {
	if err := s.rdb.RPush(ctx, s.keys.deadLettersKey(subscriber), entry).Err(); err != nil {
		return fmt.Errorf("dead letter for %s: %w", subscriber, err)
	}
	return nil
}

// DeadLetters returns a subscriber's dead-letter list.
func (s *Store) DeadLetters(ctx context.Context, subscriber string) ([]string, error) {
	return s.rdb.LRange(ctx, s.keys.deadLettersKey(subscriber), 0, -1).Result()
}

// Claim takes over events that another consumer of group read but did not
// acknowledge within minIdle (a replica that stopped), up to count of them.
func (s *Store) Claim(ctx context.Context, group, consumer string, minIdle time.Duration, count int64) ([]Event, error) {
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
