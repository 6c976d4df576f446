// Package delivery sends Switchboard's events to webhook subscribers: signed,
// at least once (an event is acknowledged only once delivered or put in the
// dead-letter list), in stream order (one replica at a time delivers to a
// subscriber, under a lease), retrying with exponential backoff.
package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/queues"
	"switchboard/signature"
)

// Metrics of the deliveries, shared by the subscribers of one instance.
type Metrics struct {
	deliveries *prometheus.CounterVec
	lag        *prometheus.GaugeVec
}

// NewMetrics registers the delivery metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_event_webhook_deliveries_total",
			Help: "Event webhook delivery attempts by subscriber and result (ok, retry, dead).",
		}, []string{"subscriber", "result"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_event_webhook_lag_seconds",
			Help: "Age of the event last delivered to a subscriber when it was delivered.",
		}, []string{"subscriber"}),
	}
	reg.MustRegister(m.deliveries, m.lag)
	return m
}

// Deliverer delivers the events of one subscriber.
type Deliverer struct {
	Sub     config.EventWebhook
	Store   *queues.Store
	Client  *http.Client
	Clock   clock.Clock
	Log     *slog.Logger
	Metrics *Metrics
	// Owner names this replica (for the lease and the consumer group).
	Owner string
	// Block is how long a read waits for new events (default 2s).
	Block time.Duration
}

// Payload is the JSON body of a delivery.
type Payload struct {
	ID   string            `json:"id"` // the event's id: receivers deduplicate on it
	Type string            `json:"type"`
	At   time.Time         `json:"at"`
	Data map[string]string `json:"data"`
}

func (d *Deliverer) group() string { return "webhook:" + d.Sub.Name }

const leaseTTL = 30 * time.Second

// Subscribe creates the subscriber's consumer group if it is new: it
// receives the events that come after, not the history.
func (d *Deliverer) Subscribe(ctx context.Context) error {
	return d.Store.Outbox().EnsureGroupFrom(ctx, d.group(), "$")
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	block := d.Block
	if block == 0 {
		block = 2 * time.Second
	}
	// A replica that stops hands the subscriber over at once, not after
	// the lease expires.
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = d.Store.Outbox().ReleaseLease(rctx, d.Clock.Now(), d.group(), d.Owner)
	}()
	if err := d.Subscribe(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for ctx.Err() == nil {
		held, err := d.Store.Outbox().Lease(ctx, d.Clock.Now(), d.group(), d.Owner, leaseTTL)
		if err != nil || !held {
			if err != nil && ctx.Err() == nil {
				d.Log.Error("webhook lease", "subscriber", d.Sub.Name, "err", err)
			}
			wait(ctx, block) // another replica delivers; look again later
			continue
		}
		if _, err := d.Drain(ctx, block); err != nil && ctx.Err() == nil {
			d.Log.Error("webhook delivery", "subscriber", d.Sub.Name, "err", err)
			wait(ctx, time.Second)
		}
	}
	return nil
}

// Drain delivers the dead letters handed back for replay, then the events
// waiting (blocking up to block for the first), and returns how many events
// it acknowledged. The caller must hold the lease.
func (d *Deliverer) Drain(ctx context.Context, block time.Duration) (int, error) {
	if err := d.replay(ctx); err != nil {
		return 0, err
	}
	evs, err := d.Store.Outbox().ReadGroup(ctx, d.group(), "deliverer", 100, block)
	if err != nil && strings.Contains(err.Error(), "NOGROUP") {
		// Redis came back without the stream (restarted empty): subscribe
		// again, from what comes next.
		return 0, d.Subscribe(ctx)
	}
	if err != nil {
		return 0, err
	}
	for i, e := range evs {
		if slices.Contains(d.Sub.Events, e.Type) {
			if err := d.deliver(ctx, e); err != nil {
				return i, err // not acknowledged: read again, in order
			}
		}
		if err := d.Store.Outbox().Ack(ctx, d.group(), e.ID); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// replay delivers the dead letters handed back (POST .../dead-letters/replay);
// one that fails again is dead-lettered again.
func (d *Deliverer) replay(ctx context.Context) error {
	for ctx.Err() == nil {
		l, err := d.Store.Outbox().NextReplay(ctx, d.Sub.Name)
		if err != nil || l == "" {
			return err
		}
		var letter struct {
			Event Payload `json:"event"`
		}
		if err := json.Unmarshal([]byte(l), &letter); err != nil || letter.Event.ID == "" {
			d.Log.Warn("dead letter not replayable", "subscriber", d.Sub.Name, "letter", l)
			continue
		}
		e := queues.Event{ID: letter.Event.ID, Type: letter.Event.Type, At: letter.Event.At, Fields: letter.Event.Data}
		if err := d.deliver(ctx, e); err != nil {
			// Interrupted (lease lost, shutdown): the letter stays a letter.
			_ = d.Store.Outbox().DeadLetter(context.WithoutCancel(ctx), d.Sub.Name, []byte(l))
			return err
		}
	}
	return ctx.Err()
}

// deliver posts one event until it is taken, or puts it in the dead-letter
// list after MaxAttempts. It returns an error only when ctx ends.
func (d *Deliverer) deliver(ctx context.Context, e queues.Event) error {
	body, _ := json.Marshal(Payload{ID: e.ID, Type: e.Type, At: e.At, Data: e.Fields})
	backoff := d.Sub.Backoff
	var last error
	for attempt := 1; attempt <= d.Sub.MaxAttempts; attempt++ {
		// Keep the lease through long backoffs, or stop: another replica
		// delivering at once would break the order.
		if held, err := d.Store.Outbox().Lease(ctx, d.Clock.Now(), d.group(), d.Owner, leaseTTL); err != nil || !held {
			return fmt.Errorf("lease of %s lost", d.Sub.Name)
		}
		if last = d.post(ctx, e, body); last == nil {
			d.Metrics.deliveries.WithLabelValues(d.Sub.Name, "ok").Inc()
			d.Metrics.lag.WithLabelValues(d.Sub.Name).Set(d.Clock.Now().Sub(e.At).Seconds())
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt == d.Sub.MaxAttempts {
			break
		}
		d.Metrics.deliveries.WithLabelValues(d.Sub.Name, "retry").Inc()
		if !wait(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, d.Sub.MaxBackoff)
	}
	d.Metrics.deliveries.WithLabelValues(d.Sub.Name, "dead").Inc()
	d.Log.Warn("webhook event dead-lettered", "subscriber", d.Sub.Name, "event", e.ID, "err", last)
	entry, _ := json.Marshal(map[string]any{"event": json.RawMessage(body), "error": last.Error(), "attempts": d.Sub.MaxAttempts})
	return d.Store.Outbox().DeadLetter(ctx, d.Sub.Name, entry)
}

func (d *Deliverer) post(ctx context.Context, e queues.Event, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, d.Sub.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Sub.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Switchboard-Event", e.Type)
	req.Header.Set("X-Switchboard-Event-Id", e.ID)
	req.Header.Set(signature.Header, signature.Sign(d.Sub.Secret, body, d.Clock.Now()))
	res, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// wait pauses for d (a retry backoff against a remote receiver) or until ctx
// ends; it reports whether the full pause elapsed.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
