package queues

import (
	"context"
	"fmt"
	"time"
)

// Handoff is one attempt at work a provider must do after a transition:
// put a call through to the agent who accepted it (Kind "connect") or send
// an agent's reply (Kind "send").
type Handoff struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Task     string `json:"task"`
	Agent    string `json:"agent"`
	Attempts int    `json:"attempts"` // this attempt's number, from 1
	// LastError is what the previous attempt reported.
	LastError string `json:"last_error"`
	// CallSID is the call to connect.
	CallSID string `json:"call_sid"`
	// Message, Text, From and To are the reply to send.
	Message string `json:"message"`
	Text    string `json:"text"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// Claim takes the hand-offs that are due (at most limit; only id when it is
// not empty) for one attempt each. Each stays leased for lease: if its
// attempt does not report by then, another replica may take it.
func (s *Handoffs) Claim(ctx context.Context, now time.Time, id string, limit int, lease time.Duration) ([]Handoff, error) {
	args := struct {
		ID      string `json:"id"`
		Limit   int    `json:"limit"`
		LeaseMS int64  `json:"lease_ms"`
	}{id, limit, lease.Milliseconds()}
	var r struct {
		Handoffs []Handoff `json:"handoffs"`
	}
	if err := s.run(ctx, claimHandoffsScript, now, args, &r); err != nil {
		return nil, fmt.Errorf("claim hand-offs: %w", err)
	}
	return r.Handoffs, nil
}

// Outcome is what an attempt of a hand-off achieved.
type Outcome struct {
	OK bool
	// ProviderID is the provider's id of a sent message (its delivery
	// reports carry it).
	ProviderID string
	// Err says why the attempt failed.
	Err string
	// Final: no attempt follows (they ran out, or the error is permanent).
	Final bool
	// Gone: the call no longer exists; the task is canceled, not requeued.
	Gone bool
	// Retry is how long until the next attempt.
	Retry time.Duration
	// TTL is how long a sent message's provider id finds the task.
	TTL time.Duration
}

// Finished is what recording an attempt did.
type Finished struct {
	// Outcome: done, retry, failed (the final failure was applied) or stale
	// (the attempt had lost its lease, or the task moved on).
	Outcome string `json:"outcome"`
	// Offers counts the offers routing made (a requeued call, a freed agent).
	Offers int `json:"offers"`
	// First: a reply sent was the task's first response.
	First bool `json:"first"`
}

// Finish records the outcome of an attempt of hand-off id.
func (s *Handoffs) Finish(ctx context.Context, now time.Time, id string, attempt int, o Outcome) (Finished, error) {
	args := struct {
		ID         string `json:"id"`
		Attempt    int    `json:"attempt"`
		OK         bool   `json:"ok"`
		ProviderID string `json:"provider_id"`
		Error      string `json:"error"`
		Final      bool   `json:"final"`
		Gone       bool   `json:"gone"`
		RetryMS    int64  `json:"retry_ms"`
		TTLMS      int64  `json:"ttl_ms"`
	}{id, attempt, o.OK, o.ProviderID, o.Err, o.Final, o.Gone, o.Retry.Milliseconds(), o.TTL.Milliseconds()}
	var r Finished
	if err := s.run(ctx, finishHandoffScript, now, args, &r); err != nil {
		return Finished{}, fmt.Errorf("finish hand-off %s: %w", id, err)
	}
	return r, nil
}

// Pending counts the hand-offs not yet done (due or leased).
func (s *Handoffs) Pending(ctx context.Context) (int64, error) {
	return s.rdb.ZCard(ctx, s.keys.handoffsKey()).Result()
}
