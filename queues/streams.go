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

// AgentStreamTail returns the id of the newest entry of an agent's stream
// ("0" when it is empty): reading after it yields only what comes next.
func (s *AgentStreams) AgentStreamTail(ctx context.Context, agent string) (string, error) {
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
func (s *AgentStreams) AgentHistory(ctx context.Context, agent, after string, count int64) (msgs []Message, lost bool, err error) {
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
func (s *AgentStreams) ListenAgents(ctx context.Context, subscribed func(), entry func(agent string, m Message)) error {
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
func (s *AgentStreams) OpenDesktops(ctx context.Context, now time.Time, replica string, grace time.Duration, agents []string) error {
	_, err := s.desktops(ctx, now, "open", replica, grace, agents)
	return err
}

// CloseDesktops records that replica's last desktop of each agent closed: an
// agent whose desktop is nowhere else goes away after grace.
func (s *AgentStreams) CloseDesktops(ctx context.Context, now time.Time, replica string, grace time.Duration, agents []string) error {
	_, err := s.desktops(ctx, now, "close", replica, grace, agents)
	return err
}

// RenewDesktops renews replica's lease on all its desktops until now + grace,
// and lets go of the desktops of replicas whose lease ran out (their agents
// go away), in bounded steps.
func (s *AgentStreams) RenewDesktops(ctx context.Context, now time.Time, replica string, grace time.Duration) error {
	for {
		more, err := s.desktops(ctx, now, "renew", replica, grace, nil)
		if err != nil || !more {
			return err
		}
	}
}

func (s *AgentStreams) desktops(ctx context.Context, now time.Time, op, replica string, grace time.Duration, agents []string) (bool, error) {
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
