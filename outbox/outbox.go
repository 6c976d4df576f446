// Package outbox keeps the events stream (the outbox every transition
// writes, read by the metrics consumer group and each event webhook's
// group) honest: entries go only once every group has acknowledged them;
// at the ceiling the oldest go anyway, counted and logged with the groups
// that lost them; consumers left behind by replicas that restarted are
// removed; each group's lag is exported. One replica at a time does it.
package outbox

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/clock"
	"switchboard/queues"
)

// Keeper runs the retention passes.
type Keeper struct {
	Store *queues.Outbox
	Clock clock.Clock
	Log   *slog.Logger
	// Owner names this replica (for the lease).
	Owner string
	// Interval between passes (default 5s).
	Interval time.Duration
	// Keep is how many entries stay when no group reads the stream (default 10,000).
	Keep int64
	// Idle is how long a consumer with nothing pending may stay silent
	// before it is removed (default 1h).
	Idle    time.Duration
	Metrics *Metrics
	// Trim, when set, runs every TrimEvery (default 10m) in a pass: the
	// task indexes drop what retention expired.
	Trim      func(ctx context.Context, now time.Time) (int, error)
	TrimEvery time.Duration
	lastTrim  time.Time
}

// Metrics are the keeper's Prometheus metrics.
type Metrics struct {
	length  prometheus.Gauge
	dropped *prometheus.CounterVec
	pending *prometheus.GaugeVec
	lag     *prometheus.GaugeVec
	removed prometheus.Counter
}

// NewMetrics registers the keeper's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		length: prometheus.NewGauge(prometheus.GaugeOpts{Name: "switchboard_events_length",
			Help: "Entries in the events stream after the last retention pass."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_events_dropped_total",
			Help: "Events removed at the stream's ceiling before the group had acknowledged them (the group lost them)."}, []string{"group"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "switchboard_events_consumer_pending",
			Help: "Events a consumer group read and did not acknowledge yet."}, []string{"group"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "switchboard_events_consumer_lag",
			Help: "Events a consumer group has not read yet."}, []string{"group"}),
		removed: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_events_consumers_removed_total",
			Help: "Idle consumers removed from the events stream's groups (replicas that went away)."}),
	}
	reg.MustRegister(m.length, m.dropped, m.pending, m.lag, m.removed)
	return m
}

const lease = "outbox-keeper"

// Run makes a pass at each interval while this replica holds the lease,
// and gives the lease up when ctx ends.
func (k *Keeper) Run(ctx context.Context) error {
	every := cmp.Or(k.Interval, 5*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = k.Store.ReleaseLease(rctx, k.Clock.Now(), lease, k.Owner)
	}()
	for {
		held, err := k.Store.Lease(ctx, k.Clock.Now(), lease, k.Owner, 3*every)
		if err == nil && held {
			_, err = k.Pass(ctx)
			if err == nil {
				err = k.trim(ctx)
			}
		}
		if err != nil && ctx.Err() == nil {
			k.Log.Error("events retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// trim runs Trim when TrimEvery has passed since the last time.
func (k *Keeper) trim(ctx context.Context) error {
	now := k.Clock.Now()
	if k.Trim == nil || now.Sub(k.lastTrim) < cmp.Or(k.TrimEvery, 10*time.Minute) {
		return nil
	}
	n, err := k.Trim(ctx, now)
	if err != nil {
		return fmt.Errorf("trim task indexes: %w", err)
	}
	k.lastTrim = now
	if n > 0 {
		k.Log.Info("task indexes trimmed of expired tasks", "removed", n)
	}
	return nil
}

// Pass trims once and records what it found.
func (k *Keeper) Pass(ctx context.Context) (queues.Retained, error) {
	r, err := k.Store.Retain(ctx, cmp.Or(k.Keep, 10000), cmp.Or(k.Idle, time.Hour))
	if err != nil {
		return r, err
	}
	if r.Dropped > 0 {
		k.Log.Error("events stream at its ceiling (routing.events_length): the oldest unacknowledged events were dropped",
			"dropped", r.Dropped, "groups", r.Laggards)
	}
	if len(r.Removed) > 0 {
		k.Log.Info("idle consumers removed from the events groups", "consumers", r.Removed)
	}
	if m := k.Metrics; m != nil {
		m.length.Set(float64(r.Length))
		for _, g := range r.Laggards {
			m.dropped.WithLabelValues(g).Add(float64(r.Dropped))
		}
		for _, g := range r.Groups {
			m.pending.WithLabelValues(g.Group).Set(float64(g.Pending))
			if g.Lag >= 0 {
				m.lag.WithLabelValues(g.Group).Set(float64(g.Lag))
			}
		}
		m.removed.Add(float64(len(r.Removed)))
	}
	return r, nil
}
