// Package jobs runs heavy work (simulations, simulated coverage) in the
// background, never inside a request: a start records the job in Redis and
// returns its id at once; the replica that started it runs it, reporting
// progress and renewing its lease; any replica answers for its state and
// result and passes a cancel on; a workspace runs a bounded number at once.
package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"switchboard/clock"
	"switchboard/queues"
)

// Store is what jobs need of the workspace (queues.Jobs).
type Store interface {
	Start(ctx context.Context, now time.Time, id, kind, owner string, input []byte, max int, lease time.Duration) error
	Progress(ctx context.Context, now time.Time, id string, progress float64, lease time.Duration) (bool, error)
	Finish(ctx context.Context, now time.Time, id, state string, result []byte, errText string, ttl time.Duration) error
	Cancel(ctx context.Context, now time.Time, id string) (string, error)
	Get(ctx context.Context, id string) (queues.Job, error)
}

// Work is a job's body: it reports progress (0..1) as it goes and stops
// when ctx ends.
type Work func(ctx context.Context, progress func(float64)) (any, error)

// Runner starts and tracks jobs on one replica.
type Runner struct {
	Store Store
	Clock clock.Clock
	Log   *slog.Logger
	// Owner names this replica.
	Owner string
	// Max is how many jobs a workspace runs at once (default 2).
	Max int
	// Keep is how long a finished job's result stays (default 24h).
	Keep time.Duration
	// Report is the longest between two progress reports (default 1s); a
	// job's lease is a few of them.
	Report time.Duration

	wg sync.WaitGroup
	// stop ends every job of this replica (Close).
	stopOnce sync.Once
	stop     chan struct{}
	mu       sync.Mutex
}

func (r *Runner) report() time.Duration { return cmp.Or(r.Report, time.Second) }
func (r *Runner) lease() time.Duration  { return 10 * r.report() }

func (r *Runner) stopped() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop == nil {
		r.stop = make(chan struct{})
	}
	return r.stop
}

// Start records a job and runs work in the background; it returns the job
// as recorded, or queues.ErrBusy (wrapped) when the workspace runs as many
// as it may.
func (r *Runner) Start(ctx context.Context, kind string, input any, work Work) (queues.Job, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := kind[:min(3, len(kind))] + "_" + hex.EncodeToString(b)
	in, _ := json.Marshal(input)
	if err := r.Store.Start(ctx, r.Clock.Now(), id, kind, r.Owner, in, cmp.Or(r.Max, 2), r.lease()); err != nil {
		return queues.Job{}, err
	}
	stop := r.stopped()
	r.wg.Go(func() { r.run(id, work, stop) })
	return r.Store.Get(ctx, id)
}

func (r *Runner) run(id string, work Work, stop chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	// Progress is written at most once per report interval; each write
	// renews the lease and carries a cancel back.
	var mu sync.Mutex
	last, latest := time.Time{}, 0.0
	write := func(p float64) {
		stopNow, err := r.Store.Progress(context.WithoutCancel(ctx), r.Clock.Now(), id, p, r.lease())
		if err != nil {
			r.Log.Warn("job progress", "job", id, "err", err)
		}
		if stopNow {
			cancel()
		}
	}
	progress := func(p float64) {
		mu.Lock()
		latest = p
		due := time.Since(last) >= r.report()
		if due {
			last = time.Now()
		}
		mu.Unlock()
		if due {
			write(p)
		}
	}
	// A job that reports rarely still renews its lease and hears a cancel.
	ticker := time.NewTicker(r.report())
	defer ticker.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				mu.Lock()
				p := latest
				stale := time.Since(last) >= r.report()
				mu.Unlock()
				if stale {
					write(p)
				}
			}
		}
	}()
	res, err := work(ctx, progress)
	state, errText := "done", ""
	var out []byte
	switch {
	case err == nil:
		out, err = json.Marshal(res)
		if err != nil {
			state, errText = "failed", err.Error()
		}
	case errors.Is(err, context.Canceled):
		state, errText = "canceled", "canceled"
	default:
		state, errText = "failed", err.Error()
	}
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer fcancel()
	if err := r.Store.Finish(fctx, r.Clock.Now(), id, state, out, errText, cmp.Or(r.Keep, 24*time.Hour)); err != nil {
		r.Log.Error("job finish", "job", id, "err", err)
	}
}

// Get returns a job's state, progress and, once done, its result.
func (r *Runner) Get(ctx context.Context, id string) (queues.Job, error) { return r.Store.Get(ctx, id) }

// Cancel asks a job to stop: its replica stops it at its next report.
func (r *Runner) Cancel(ctx context.Context, id string) (queues.Job, error) {
	if _, err := r.Store.Cancel(ctx, r.Clock.Now(), id); err != nil {
		return queues.Job{}, err
	}
	return r.Store.Get(ctx, id)
}

// Close cancels this replica's jobs and waits for them to record their end.
func (r *Runner) Close() {
	r.stopOnce.Do(func() { close(r.stopped()) })
	r.wg.Wait()
}
