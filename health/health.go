// Package health watches the Redis a replica depends on: whether it answers
// (so requests fail fast with 503 while it does not, instead of each waiting
// out its timeouts) and whether it came back empty (a restart without
// persistence, a failover to an empty replica), which it reports, logs and
// repairs by re-applying the configuration.
package health

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"switchboard/clock"
)

// Store is what the monitor asks of the workspace.
type Store interface {
	Ping(ctx context.Context) error
	// Epoch is the workspace's epoch mark ("" when there is none): set once
	// per life of the data, gone when the data is.
	Epoch(ctx context.Context) (string, error)
	// SetEpoch sets the mark unless one is set, and returns the one in place.
	SetEpoch(ctx context.Context, id string) (string, error)
}

// State is what the monitor knows.
type State struct {
	Up bool `json:"up"`
	// Err is why Redis is down ("" when up).
	Err string `json:"error,omitempty"`
	// Since is when Redis last went up or down.
	Since time.Time `json:"since"`
	// Resets counts the times Redis was found empty after holding this
	// workspace; LastReset is the latest.
	Resets    int        `json:"resets"`
	LastReset *time.Time `json:"last_reset,omitempty"`
}

// Monitor checks Redis at an interval.
type Monitor struct {
	Store Store
	Clock clock.Clock
	Log   *slog.Logger
	// Interval between checks (default 500ms); Timeout bounds one (default 1s).
	Interval, Timeout time.Duration
	// Failures is how many checks in a row must fail before Redis counts as
	// down (default 2): one slow answer does not turn requests away.
	Failures int
	// OnReset re-applies the configuration after Redis came back empty.
	OnReset func(ctx context.Context) error
	// Observe, when set, receives each change: up or down, and resets.
	Observe func(up bool, resets int)

	mu     sync.Mutex
	state  State
	failed int
	epoch  string
}

// init counts Redis as up until a check says otherwise.
func (m *Monitor) init() {
	if m.state.Since.IsZero() {
		m.state = State{Up: true, Since: m.Clock.Now()}
	}
}

// State returns what the monitor knows now.
func (m *Monitor) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	return m.state
}

// Up reports whether requests should reach Redis.
func (m *Monitor) Up() bool { return m.State().Up }

// Run checks until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(cmp.Or(m.Interval, 500*time.Millisecond))
	defer t.Stop()
	for {
		m.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Check checks once.
func (m *Monitor) Check(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, cmp.Or(m.Timeout, time.Second))
	defer cancel()
	err := m.Store.Ping(cctx)
	var epoch string
	if err == nil {
		epoch, err = m.Store.Epoch(cctx)
	}
	if ctx.Err() != nil {
		return
	}
	m.mu.Lock()
	m.init()
	now := m.Clock.Now()
	if err != nil {
		m.failed++
		if m.state.Up && m.failed >= cmp.Or(m.Failures, 2) {
			m.state = State{Up: false, Err: err.Error(), Since: now, Resets: m.state.Resets, LastReset: m.state.LastReset}
			m.mu.Unlock()
			m.Log.Error("redis is unreachable: requests get 503 until it answers", "err", err)
			m.observe()
			return
		}
		m.mu.Unlock()
		return
	}
	m.failed = 0
	changed := !m.state.Up
	if changed {
		m.state.Up, m.state.Err, m.state.Since = true, "", now
	}
	known := m.epoch
	m.mu.Unlock()
	if changed {
		m.Log.Info("redis answers again")
		m.observe()
	}
	if epoch != "" && epoch == known {
		return
	}
	// No mark (a new workspace, or one whose data is gone), or another
	// replica's new mark (it found the data gone first).
	if epoch == "" {
		id := make([]byte, 8)
		_, _ = rand.Read(id)
		epoch, err = m.Store.SetEpoch(cctx, now.UTC().Format(time.RFC3339)+"-"+hex.EncodeToString(id))
		if err != nil {
			return
		}
	}
	m.mu.Lock()
	m.epoch = epoch
	reset := known != ""
	if reset {
		m.state.Resets++
		at := now
		m.state.LastReset = &at
	}
	m.mu.Unlock()
	if !reset {
		return
	}
	m.Log.Error("redis came back without this workspace's data (restarted empty or failed over to an empty replica): agents, tasks and idempotency keys written before are gone; re-applying the configuration")
	m.observe()
	if m.OnReset != nil {
		if err := m.OnReset(ctx); err != nil {
			m.Log.Error("re-apply the configuration", "err", err)
		}
	}
}

func (m *Monitor) observe() {
	if m.Observe != nil {
		st := m.State()
		m.Observe(st.Up, st.Resets)
	}
}
