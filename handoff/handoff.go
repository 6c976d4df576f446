// Package handoff runs the provider's side of committed transitions: it puts
// accepted calls through to their agent and sends agents' replies. The
// transition commits first (one script queues the hand-off with it); the
// provider is called afterwards, from that record, with a timeout per
// attempt and bounded retries with backoff and jitter, by whichever replica
// claims it. The outcome is one more script: success answers the call or
// marks the message sent; final failure requeues the call keeping its age
// (or cancels it when the caller is gone) or marks the message failed, and
// tells the agent's desktop why.
package handoff

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"switchboard/clock"
	"switchboard/queues"
)

// Provider is what a hand-off asks of the provider (telephony.TwilioREST).
// Errors that implement Permanent() bool and Gone() bool say whether a retry
// can help and whether the call no longer exists.
type Provider interface {
	ConnectCall(ctx context.Context, callSID, contact string) error
	SendMessage(ctx context.Context, from, to, body, statusCallback string) (string, error)
}

// Store is what hand-offs need of the store.
type Store interface {
	Claim(ctx context.Context, now time.Time, id string, limit int, lease time.Duration) ([]queues.Handoff, error)
	Finish(ctx context.Context, now time.Time, id string, attempt int, o queues.Outcome) (queues.Finished, error)
}

// Agents finds where an agent's calls ring.
type Agents interface {
	Contact(ctx context.Context, agent string) (string, error)
}

// Worker claims due hand-offs and attempts them.
type Worker struct {
	Store    Store
	Provider Provider
	Agents   Agents
	Clock    clock.Clock
	Log      *slog.Logger
	// Attempts bounds the tries of one hand-off (default 5).
	Attempts int
	// Timeout bounds one attempt (default 5s).
	Timeout time.Duration
	// Backoff is the longest wait before the first retry (default 500ms);
	// it doubles with each attempt up to MaxBackoff (default 8s), and the
	// wait is drawn at random below it (full jitter), so replicas retrying
	// after an outage do not arrive together.
	Backoff, MaxBackoff time.Duration
	// StatusCallback is where the provider reports a sent message's delivery.
	StatusCallback string
	// MessageTTL is how long a sent message's id finds its task (default 7 days).
	MessageTTL time.Duration
	// Poll is how often Run looks for due hand-offs (default 250ms).
	Poll time.Duration
	// Observe, when set, receives each attempt's kind and result (done,
	// retry, failed, stale, error).
	Observe func(kind, result string)

	mu  sync.Mutex
	rng *rand.Rand
}

// Result is what became of a hand-off's attempt.
type Result struct {
	// Outcome: done, retry (another attempt follows), failed (final), stale
	// (the task moved on or another replica holds the attempt) or none
	// (nothing was due).
	Outcome string
	// Err is the attempt's error ("" when it succeeded).
	Err string
	// First: the reply sent was the task's first response.
	First bool
}

func (w *Worker) attempts() int               { return cmp.Or(w.Attempts, 5) }
func (w *Worker) timeout() time.Duration      { return cmp.Or(w.Timeout, 5*time.Second) }
func (w *Worker) lease() time.Duration        { return w.timeout() + 5*time.Second }
func (w *Worker) messageTTL() time.Duration   { return cmp.Or(w.MessageTTL, 7*24*time.Hour) }
func (w *Worker) poll() time.Duration         { return cmp.Or(w.Poll, 250*time.Millisecond) }
func (w *Worker) maxBackoff() time.Duration   { return cmp.Or(w.MaxBackoff, 8*time.Second) }
func (w *Worker) firstBackoff() time.Duration { return cmp.Or(w.Backoff, 500*time.Millisecond) }

// backoff is the wait before the attempt after attempt n (from 1).
func (w *Worker) backoff(n int) time.Duration {
	d := w.firstBackoff()
	for i := 1; i < n && d < w.maxBackoff(); i++ {
		d *= 2
	}
	d = min(d, w.maxBackoff())
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rng == nil {
		w.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	// At least a tenth of the step, so a retry never comes at once.
	return d/10 + time.Duration(w.rng.Int64N(int64(d-d/10)+1))
}

// Try attempts hand-off id now, if it is due and no other replica holds it
// (a request that just committed the transition calls it, so the caller
// does not wait for the next poll).
func (w *Worker) Try(ctx context.Context, id string) (Result, error) {
	hs, err := w.Store.Claim(ctx, w.Clock.Now(), id, 1, w.lease())
	if err != nil {
		return Result{}, err
	}
	if len(hs) == 0 {
		return Result{Outcome: "none"}, nil
	}
	return w.attempt(ctx, hs[0])
}

// Drain attempts every hand-off that is due, at most limit, and returns how
// many it attempted.
func (w *Worker) Drain(ctx context.Context, limit int) (int, error) {
	hs, err := w.Store.Claim(ctx, w.Clock.Now(), "", limit, w.lease())
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, h := range hs {
		wg.Go(func() {
			if _, err := w.attempt(ctx, h); err != nil && ctx.Err() == nil {
				w.Log.Error("hand-off", "id", h.ID, "task", h.Task, "err", err)
			}
		})
	}
	wg.Wait()
	return len(hs), nil
}

// Run attempts due hand-offs until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	t := time.NewTicker(w.poll())
	defer t.Stop()
	for {
		for {
			n, err := w.Drain(ctx, 16)
			if err != nil && ctx.Err() == nil {
				w.Log.Error("claim hand-offs", "err", err)
			}
			if n < 16 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *Worker) attempt(ctx context.Context, h queues.Handoff) (Result, error) {
	actx, cancel := context.WithTimeout(ctx, w.timeout())
	defer cancel()
	var o queues.Outcome
	var err error
	switch h.Kind {
	case "connect":
		var contact string
		contact, err = w.Agents.Contact(actx, h.Agent)
		if err == nil {
			if contact == "" {
				err = permanent{errors.New("agent " + h.Agent + " has no voice contact to connect the call to")}
			} else {
				err = w.Provider.ConnectCall(actx, h.CallSID, contact)
			}
		}
	case "send":
		o.ProviderID, err = w.Provider.SendMessage(actx, h.From, h.To, h.Text, w.StatusCallback)
		o.TTL = w.messageTTL()
	default:
		err = permanent{errors.New("unknown hand-off kind " + h.Kind)}
	}
	o.OK = err == nil
	if err != nil {
		o.Err = err.Error()
		var p interface{ Permanent() bool }
		var g interface{ Gone() bool }
		o.Gone = errors.As(err, &g) && g.Gone()
		o.Final = o.Gone || (errors.As(err, &p) && p.Permanent()) || h.Attempts >= w.attempts()
		o.Retry = w.backoff(h.Attempts)
		w.Log.Warn("hand-off attempt failed", "id", h.ID, "kind", h.Kind, "task", h.Task,
			"attempt", h.Attempts, "final", o.Final, "err", err)
	}
	// The outcome is recorded even when the request that tried it has gone.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	f, ferr := w.Store.Finish(rctx, w.Clock.Now(), h.ID, h.Attempts, o)
	if ferr != nil {
		w.observe(h.Kind, "error")
		return Result{}, ferr
	}
	w.observe(h.Kind, f.Outcome)
	return Result{Outcome: f.Outcome, Err: o.Err, First: f.First}, nil
}

func (w *Worker) observe(kind, result string) {
	if w.Observe != nil {
		w.Observe(kind, result)
	}
}

// permanent marks an error no retry can mend.
type permanent struct{ error }

func (permanent) Permanent() bool { return true }
func (p permanent) Unwrap() error { return p.error }
