package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Customer is one customer with every identity linked to them and their
// contacts on every channel, newest first.
type Customer struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Identities []string  `json:"identities"`
	LastAgent  string    `json:"last_agent,omitempty"`
	Timeline   []Task    `json:"timeline"`
	// Missing are timeline entries whose task Redis no longer holds.
	Missing []string `json:"-"`
}

// GetCustomer returns a customer and up to limit of their latest contacts.
func (s *Store) GetCustomer(ctx context.Context, id string, limit int64) (Customer, error) {
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, s.keys.customerKey(id))
	ids := pipe.SMembers(ctx, s.keys.customerIdentitiesKey(id))
	tl := pipe.ZRevRange(ctx, s.keys.customerTimelineKey(id), 0, limit-1)
	if _, err := pipe.Exec(ctx); err != nil {
		return Customer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	if len(h.Val()) == 0 {
		return Customer{}, &Error{Code: "customer_not_found", Detail: id}
	}
	c := Customer{ID: id, Name: h.Val()["name"], CreatedAt: ms(h.Val()["created_at"]), Identities: ids.Val(),
		LastAgent: h.Val()["last_agent"], Timeline: []Task{}}
	slices.Sort(c.Identities)
	for _, tid := range tl.Val() {
		t, err := s.GetTask(ctx, tid)
		if errors.Is(err, ErrNotFound) {
			// Retention let it go (the index is trimmed later); an archive
			// may still hold it (see router.Contacts.Customer).
			c.Missing = append(c.Missing, tid)
			continue
		}
		if err != nil {
			return Customer{}, err
		}
		c.Timeline = append(c.Timeline, t)
	}
	return c, nil
}

// CustomerByIdentity returns the id of the customer an identity is linked to.
func (s *Store) CustomerByIdentity(ctx context.Context, identity string) (string, error) {
	id, err := s.rdb.Get(ctx, s.keys.identityKey(identity)).Result()
	if errors.Is(err, redis.Nil) {
		return "", &Error{Code: "customer_not_found", Detail: identity}
	}
	return id, err
}

// TaskByIdempotencyKey returns the task created with an idempotency key (a
// provider's event id, such as a CallSid).
func (s *Store) TaskByIdempotencyKey(ctx context.Context, key string) (string, error) {
	id, err := s.rdb.Get(ctx, s.keys.idempotencyKey(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", &Error{Code: "task_not_found", Detail: key}
	}
	return id, err
}

// Messages returns a task's conversation, oldest first.
func (s *Store) Messages(ctx context.Context, taskID string) ([]json.RawMessage, error) {
	raw, err := s.rdb.LRange(ctx, s.keys.messagesKey(taskID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", taskID, err)
	}
	out := make([]json.RawMessage, len(raw))
	for i, m := range raw {
		out[i] = json.RawMessage(m)
	}
	return out, nil
}

// Reply is an agent's reply as recorded: its id, status (sent, or sending
// until the Handoff succeeds) and whether it was the task's first response.
type Reply struct {
	Message string `json:"message"`
	Status  string `json:"status"`
	First   bool   `json:"first"`
	Handoff string `json:"handoff"`
}

// AddReply records an agent's reply to a task the agent holds (asAgent ""
// for any); with provider, replies to conversations from a provider that
// carries them are queued as a send hand-off.
func (s *Store) AddReply(ctx context.Context, now time.Time, taskID, asAgent, text string, provider bool) (Reply, error) {
	args := struct {
		taskArgs
		Text     string `json:"text"`
		Provider bool   `json:"provider"`
	}{taskArgs{taskID, asAgent}, text, provider}
	var r Reply
	if err := s.run(ctx, addReplyScript, now, args, &r); err != nil {
		return Reply{}, fmt.Errorf("add reply to %s: %w", taskID, err)
	}
	return r, nil
}

// MessageFailed records that an outbound message failed; it returns the task.
func (s *Store) MessageFailed(ctx context.Context, now time.Time, providerID, status, code string) (string, error) {
	args := struct {
		ProviderID string `json:"provider_id"`
		Status     string `json:"status"`
		ErrorCode  string `json:"error_code"`
	}{providerID, status, code}
	var r struct {
		Task string `json:"task"`
	}
	if err := s.run(ctx, messageStatusScript, now, args, &r); err != nil {
		return "", fmt.Errorf("message status %s: %w", providerID, err)
	}
	return r.Task, nil
}
