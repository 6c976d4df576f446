package router

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"switchboard/queues"
)

// History is where finished contacts go once Redis lets them go (the
// archive): the reads below fall back to it.
type History interface {
	Task(ctx context.Context, id string) (queues.Task, error)
	Timeline(ctx context.Context, customer string, limit int) ([]queues.Task, error)
	Messages(ctx context.Context, id string) ([]json.RawMessage, error)
	Customer(ctx context.Context, id string, limit int) (queues.Customer, error)
	CustomerByIdentity(ctx context.Context, identity string) (string, error)
}

// WithHistory sets the archive the reads fall back to.
func (a *App) WithHistory(h History) *App {
	a.b.history = h
	return a
}

// task reads a task from Redis, else from the history.
func (b *base) task(ctx context.Context, store interface {
	GetTask(ctx context.Context, id string) (queues.Task, error)
}, id string) (queues.Task, bool, error) {
	t, err := store.GetTask(ctx, id)
	if errors.Is(err, queues.ErrNotFound) && b.history != nil {
		t, err = b.history.Task(ctx, id)
		return t, true, err
	}
	return t, false, err
}

// customerID is the id a new contact's customer gets: the one the history
// knows for the first identity Redis has forgotten, so a customer who
// returns after retention keeps their id and history; else a new one.
func (b *base) customerID(ctx context.Context, store interface {
	CustomerByIdentity(ctx context.Context, identity string) (string, error)
}, identities []string) (string, error) {
	if b.history != nil && len(identities) > 0 {
		_, err := store.CustomerByIdentity(ctx, identities[0])
		if errors.Is(err, queues.ErrNotFound) {
			id, err := b.history.CustomerByIdentity(ctx, identities[0])
			if err != nil {
				return "", err
			}
			if id != "" {
				return id, nil
			}
		} else if err != nil {
			return "", err
		}
	}
	return NewID("cus"), nil
}

// customer is a customer's timeline from Redis, with what Redis let go read
// from the history; a customer Redis no longer has comes from the history.
func (b *base) customer(ctx context.Context, store interface {
	GetCustomer(ctx context.Context, id string, limit int64) (queues.Customer, error)
}, id string, limit int) (queues.Customer, error) {
	cu, err := store.GetCustomer(ctx, id, int64(limit))
	if b.history == nil {
		return cu, err
	}
	if errors.Is(err, queues.ErrNotFound) {
		return b.history.Customer(ctx, id, limit)
	}
	if err != nil {
		return cu, err
	}
	if len(cu.Missing) > 0 || len(cu.Timeline) < limit {
		// Contacts retention took: the missing entries, and older ones
		// whose entries the timeline no longer holds.
		older, err := b.history.Timeline(ctx, id, limit)
		if err != nil {
			return cu, err
		}
		seen := map[string]bool{}
		for _, t := range cu.Timeline {
			seen[t.ID] = true
		}
		for _, t := range older {
			if !seen[t.ID] {
				cu.Timeline = append(cu.Timeline, t)
			}
		}
		sortTimeline(cu.Timeline)
		if len(cu.Timeline) > limit {
			cu.Timeline = cu.Timeline[:limit]
		}
	}
	return cu, nil
}

// sortTimeline orders contacts newest first.
func sortTimeline(ts []queues.Task) {
	slices.SortFunc(ts, func(a, b queues.Task) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
}

// bucketHistory is a history that also gives the service-level counters of
// the contacts it holds.
type bucketHistory interface {
	BucketCounts(ctx context.Context, queue string, from, to time.Time) (map[time.Time]map[string]queues.Counts, error)
}

// slKept is how far back Redis surely holds service-level buckets (their
// time to live is 40 days).
const slKept = 39 * 24 * time.Hour

// bucketCounts are a queue's service-level counters: from Redis where it
// still holds them, from the history before that.
func (b *base) bucketCounts(ctx context.Context, store interface {
	BucketCounts(ctx context.Context, queue string, from, to time.Time) (map[time.Time]map[string]queues.Counts, error)
}, queue string, from, to time.Time) (map[time.Time]map[string]queues.Counts, error) {
	cut := b.clock.Now().Add(-slKept).Truncate(15 * time.Minute)
	h, ok := b.history.(bucketHistory)
	if !ok || !from.Before(cut) {
		return store.BucketCounts(ctx, queue, from, to)
	}
	end := to
	if end.After(cut) {
		end = cut
	}
	out, err := h.BucketCounts(ctx, queue, from, end)
	if err != nil || !to.After(cut) {
		return out, err
	}
	recent, err := store.BucketCounts(ctx, queue, cut, to)
	for at, byCh := range recent {
		out[at] = byCh
	}
	return out, err
}
