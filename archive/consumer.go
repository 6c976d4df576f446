package archive

import (
	"cmp"
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/clock"
	"switchboard/queues"
)

// Group is the archive's consumer group on the events stream.
const Group = "archive"

// Consumer writes every finished contact to the archive, once: it reads the
// events stream through its group, writes a batch in one transaction, then
// acknowledges the events and lets Redis expire what it wrote. A replica
// that stops leaves its unacknowledged events to the others (claimed after
// a minute), and a replay writes nothing twice.
type Consumer struct {
	Store   *queues.Store
	Archive *Archive
	Clock   clock.Clock
	Log     *slog.Logger
	// Name is this replica's consumer name.
	Name string
	// Batch is the most events a pass reads (default 500).
	Batch int64
	// Block is how long a pass waits for new events (default 2s).
	Block   time.Duration
	Metrics *Metrics
}

// Metrics are the archive's Prometheus metrics.
type Metrics struct {
	archived prometheus.Counter
	missing  prometheus.Counter
	batch    prometheus.Histogram
}

// NewMetrics registers the archive's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		archived: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_archive_contacts_total",
			Help: "Finished contacts written to the archive (PostgreSQL)."}),
		missing: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_archive_missing_total",
			Help: "Finished contacts Redis no longer held when the archive read their event (lost to the archive)."}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "switchboard_archive_batch_seconds",
			Help: "Time to write one batch to the archive.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}),
	}
	reg.MustRegister(m.archived, m.missing, m.batch)
	return m
}

const orphanAge = time.Minute

// Run archives until ctx ends.
func (c *Consumer) Run(ctx context.Context) error {
	wait := time.Second
	for ctx.Err() == nil {
		_, err := c.pass(ctx, cmp.Or(c.Block, 2*time.Second))
		if err == nil || ctx.Err() != nil {
			wait = time.Second
			continue
		}
		// Redis keeps what is not archived: retry, backing off to 30s
		// while the database is away.
		c.Log.Error("archive", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
	return nil
}

// Drain archives what the stream holds now and returns the contacts added.
func (c *Consumer) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, read, err := c.once(ctx, -1, false)
		total += n
		if err != nil || read == 0 {
			return total, err
		}
	}
}

func (c *Consumer) pass(ctx context.Context, block time.Duration) (int, error) {
	total := 0
	for claim := true; ; claim = false {
		n, read, err := c.once(ctx, block, claim)
		total += n
		if err != nil || (read == 0 && !claim) {
			return total, err
		}
	}
}

// once reads one batch (claimed from a replica that stopped, or new) and
// archives it; it returns the contacts added and the events read.
func (c *Consumer) once(ctx context.Context, block time.Duration, claim bool) (int, int, error) {
	out := c.Store.Outbox()
	if err := out.EnsureGroup(ctx, Group); err != nil {
		return 0, 0, err
	}
	size := cmp.Or(c.Batch, 500)
	var evs []queues.Event
	var err error
	if claim {
		evs, err = out.Claim(ctx, Group, c.Name, orphanAge, size)
	} else {
		evs, err = out.ReadGroup(ctx, Group, c.Name, size, block)
	}
	if err != nil || len(evs) == 0 {
		return 0, 0, err
	}
	var b Batch
	var finished []string
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
		switch e.Type {
		case "task.completed", "task.canceled":
			finished = append(finished, e.Fields["task"])
		case "survey.answered":
			if n, err := strconv.Atoi(e.Fields["score"]); err == nil {
				b.Answers = append(b.Answers, Answer{TaskID: e.Fields["task"], Kind: e.Fields["kind"], Score: n, At: e.At,
					Queue: e.Fields["queue"], Channel: e.Fields["channel"], Agent: e.Fields["agent"], Customer: e.Fields["customer"]})
			}
		case "task.transferred":
			b.Transfers = append(b.Transfers, Transfer{EventID: e.ID, TaskID: e.Fields["task"], At: e.At,
				FromQueue: e.Fields["from_queue"], ToQueue: e.Fields["queue"], FromAgent: e.Fields["from_agent"],
				ToAgent: e.Fields["to_agent"]})
		}
	}
	recs, err := c.Store.FinishedTasks(ctx, finished)
	if err != nil {
		return 0, 0, err
	}
	released := make([]queues.Released, 0, len(recs))
	for _, r := range recs {
		b.Contacts = append(b.Contacts, Contact{Task: r.Task, Messages: r.Messages, Customer: r.Customer})
		released = append(released, queues.Released{ID: r.Task.ID, EndedMS: r.Task.EndedAt.UnixMilli()})
	}
	start := time.Now()
	added, err := c.Archive.Write(ctx, b)
	if err != nil {
		return 0, 0, err
	}
	if c.Metrics != nil {
		c.Metrics.batch.Observe(time.Since(start).Seconds())
		c.Metrics.archived.Add(float64(added))
		c.Metrics.missing.Add(float64(len(finished) - len(recs)))
	}
	if lost := len(finished) - len(recs); lost > 0 {
		c.Log.Warn("finished contacts gone from Redis before the archive read them", "contacts", lost)
	}
	if _, err := c.Store.ReleaseArchived(ctx, c.Clock.Now(), released); err != nil {
		return 0, 0, err
	}
	return added, len(evs), out.Ack(ctx, Group, ids...)
}
