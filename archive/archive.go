// Package archive keeps finished contacts in PostgreSQL: written once by a
// consumer of the events stream (Consumer), read back where Redis has let
// them go (the customer timeline, a task, its messages) and by the quality
// reports. The schema is in migrations/, applied by Migrate.
package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/queues"
)

// Archive is the archive of one workspace.
type Archive struct {
	pool *pgxpool.Pool
	ws   string
}

// Open connects to the database at url (postgres://...) for workspace ws.
func Open(ctx context.Context, url, ws string) (*Archive, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database_url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("archive: %w", err)
	}
	return &Archive{pool: pool, ws: ws}, nil
}

// Close closes the connections.
func (a *Archive) Close() { a.pool.Close() }

// Ping checks the database answers.
func (a *Archive) Ping(ctx context.Context) error { return a.pool.Ping(ctx) }

// Contact is one finished contact with what the archive keeps of it.
type Contact struct {
	Task     queues.Task
	Messages []json.RawMessage
	// Customer is the customer as Redis held them (nil: no customer, or
	// Redis no longer had them).
	Customer *queues.Customer
}

// Transfer is one transfer of a task, from its event.
type Transfer struct {
	EventID, TaskID                        string
	At                                     time.Time
	FromQueue, ToQueue, FromAgent, ToAgent string
}

// Answer is a survey answer, from its event.
type Answer struct {
	TaskID, Kind, Queue, Channel, Agent, Customer string
	Score                                         int
	At                                            time.Time
}

// Batch is what one pass of the consumer writes, in one transaction.
type Batch struct {
	Contacts  []Contact
	Transfers []Transfer
	Answers   []Answer
}

// Write stores a batch in one transaction. Rows already there are left as
// they are (a replayed event writes nothing twice); customers are updated
// to their latest name and identities. It returns the contacts it added.
func (a *Archive) Write(ctx context.Context, b Batch) (int, error) {
	added := 0
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		var q pgx.Batch
		for _, c := range b.Contacts {
			t := c.Task
			if t.EndedAt == nil {
				return fmt.Errorf("task %s has not ended", t.ID)
			}
			record, err := json.Marshal(t)
			if err != nil {
				return err
			}
			q.Queue(`INSERT INTO contacts (workspace, id, state, kind, channel, queue, agent, customer_id, priority,
				created_at, assigned_at, first_response_at, ended_at, wait_ms, handle_ms, disposition, reason, offers,
				messages_in, messages_out, escalations, record)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)
				ON CONFLICT (workspace, id) DO NOTHING`,
				a.ws, t.ID, t.State, t.Kind, t.Channel, t.Queue, t.Agent, t.CustomerID, t.Priority,
				t.CreatedAt, t.AssignedAt, t.FirstResponse, *t.EndedAt, waitMS(t), handleMS(t), t.Disposition, t.Reason,
				t.Offers, t.MessagesIn, t.MessagesOut, len(t.Escalations), record).Exec(func(ct pgconn.CommandTag) error {
				added += int(ct.RowsAffected())
				return nil
			})
			for i, m := range c.Messages {
				q.Queue(`INSERT INTO messages (workspace, task_id, seq, body) VALUES ($1,$2,$3,$4)
					ON CONFLICT DO NOTHING`, a.ws, t.ID, i, []byte(m))
			}
			if cu := c.Customer; cu != nil {
				q.Queue(`INSERT INTO customers (workspace, id, name, created_at, identities, last_agent)
					VALUES ($1,$2,$3,$4,$5,$6)
					ON CONFLICT (workspace, id) DO UPDATE SET name = EXCLUDED.name, identities = EXCLUDED.identities,
					last_agent = EXCLUDED.last_agent`, a.ws, cu.ID, cu.Name, cu.CreatedAt, cu.Identities, cu.LastAgent)
				for _, ident := range cu.Identities {
					q.Queue(`INSERT INTO identities (workspace, identity, customer_id) VALUES ($1,$2,$3)
						ON CONFLICT (workspace, identity) DO UPDATE SET customer_id = EXCLUDED.customer_id`,
						a.ws, ident, cu.ID)
				}
			}
		}
		for _, tr := range b.Transfers {
			q.Queue(`INSERT INTO transfers (workspace, event_id, task_id, at, from_queue, to_queue, from_agent, to_agent)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING`,
				a.ws, tr.EventID, tr.TaskID, tr.At, tr.FromQueue, tr.ToQueue, tr.FromAgent, tr.ToAgent)
		}
		for _, an := range b.Answers {
			q.Queue(`INSERT INTO survey_answers (workspace, task_id, kind, score, answered_at, queue, channel, agent, customer_id)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
				a.ws, an.TaskID, an.Kind, an.Score, an.At, an.Queue, an.Channel, an.Agent, an.Customer)
		}
		if q.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, &q).Close()
	})
	if err != nil {
		return 0, fmt.Errorf("archive: write: %w", err)
	}
	return added, nil
}

// waitMS is how long the customer waited: until assigned, or until the
// contact ended unanswered.
func waitMS(t queues.Task) *int64 {
	var d time.Duration
	switch {
	case t.AssignedAt != nil:
		d = t.AssignedAt.Sub(t.CreatedAt)
	case t.EndedAt != nil:
		d = t.EndedAt.Sub(t.CreatedAt)
	default:
		return nil
	}
	ms := d.Milliseconds()
	return &ms
}

// handleMS is the handle time: assigned to the end (of wrap-up).
func handleMS(t queues.Task) *int64 {
	if t.AssignedAt == nil || t.EndedAt == nil {
		return nil
	}
	ms := t.EndedAt.Sub(*t.AssignedAt).Milliseconds()
	return &ms
}

// Task returns an archived task, or an error wrapping queues.ErrNotFound.
func (a *Archive) Task(ctx context.Context, id string) (queues.Task, error) {
	rows, err := a.pool.Query(ctx, "SELECT "+recordCols+" FROM contacts c "+answerJoin+
		" WHERE c.workspace = $1 AND c.id = $2", a.ws, id)
	if err != nil {
		return queues.Task{}, fmt.Errorf("archive: task %s: %w", id, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanRecord)
	if errors.Is(err, pgx.ErrNoRows) {
		return queues.Task{}, &queues.Error{Code: "task_not_found", Detail: id}
	}
	if err != nil {
		return queues.Task{}, fmt.Errorf("archive: task %s: %w", id, err)
	}
	return t, nil
}

// recordCols and answerJoin read an archived task with the survey answer
// that came after it was archived (the record is the task as it ended).
const (
	recordCols = "c.record, s.kind, s.score, s.answered_at"
	answerJoin = "LEFT JOIN survey_answers s ON s.workspace = c.workspace AND s.task_id = c.id"
)

func scanRecord(r pgx.CollectableRow) (queues.Task, error) {
	var b []byte
	var kind *string
	var score *int
	var at *time.Time
	var t queues.Task
	if err := r.Scan(&b, &kind, &score, &at); err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, err
	}
	if kind != nil {
		sv := &queues.Survey{Kind: *kind, State: "answered", Score: score, AnsweredAt: at}
		if t.Survey != nil {
			sv.SentAt = t.Survey.SentAt
		}
		t.Survey = sv
	}
	return t, nil
}

// Messages returns an archived task's conversation, oldest first.
func (a *Archive) Messages(ctx context.Context, id string) ([]json.RawMessage, error) {
	rows, err := a.pool.Query(ctx, "SELECT body FROM messages WHERE workspace = $1 AND task_id = $2 ORDER BY seq", a.ws, id)
	if err != nil {
		return nil, fmt.Errorf("archive: messages of %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (json.RawMessage, error) {
		var b []byte
		err := r.Scan(&b)
		return json.RawMessage(b), err
	})
	if err != nil {
		return nil, fmt.Errorf("archive: messages of %s: %w", id, err)
	}
	return out, nil
}

// Customer returns an archived customer with up to limit of their latest
// archived contacts, or an error wrapping queues.ErrNotFound.
func (a *Archive) Customer(ctx context.Context, id string, limit int) (queues.Customer, error) {
	cu := queues.Customer{ID: id, Identities: []string{}, Timeline: []queues.Task{}}
	err := a.pool.QueryRow(ctx, `SELECT name, created_at, identities, last_agent FROM customers
		WHERE workspace = $1 AND id = $2`, a.ws, id).Scan(&cu.Name, &cu.CreatedAt, &cu.Identities, &cu.LastAgent)
	if errors.Is(err, pgx.ErrNoRows) {
		return queues.Customer{}, &queues.Error{Code: "customer_not_found", Detail: id}
	}
	if err != nil {
		return queues.Customer{}, fmt.Errorf("archive: customer %s: %w", id, err)
	}
	cu.Timeline, err = a.Timeline(ctx, id, limit)
	return cu, err
}

// Timeline returns up to limit of a customer's latest archived contacts,
// newest first.
func (a *Archive) Timeline(ctx context.Context, customer string, limit int) ([]queues.Task, error) {
	rows, err := a.pool.Query(ctx, `SELECT `+recordCols+` FROM contacts c `+answerJoin+`
		WHERE c.workspace = $1 AND c.customer_id = $2 ORDER BY c.created_at DESC, c.id DESC LIMIT $3`, a.ws, customer, limit)
	if err != nil {
		return nil, fmt.Errorf("archive: timeline of %s: %w", customer, err)
	}
	out, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("archive: timeline of %s: %w", customer, err)
	}
	return out, nil
}

// CustomerByIdentity returns the customer an identity was linked to ("" when
// the archive never saw it).
func (a *Archive) CustomerByIdentity(ctx context.Context, identity string) (string, error) {
	var id string
	err := a.pool.QueryRow(ctx, "SELECT customer_id FROM identities WHERE workspace = $1 AND identity = $2",
		a.ws, identity).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("archive: identity: %w", err)
	}
	return id, nil
}

// bucket is the width of the service-level buckets (queues' 15 minutes).
const bucket = 15 * time.Minute

// BucketCounts are the service-level counters of a queue's archived
// contacts created in [from, to), by 15-minute bucket and channel, as the
// scripts count them in Redis (queues.Counts): the interval statistics of
// periods Redis no longer holds.
func (a *Archive) BucketCounts(ctx context.Context, queue string, from, to time.Time) (map[time.Time]map[string]queues.Counts, error) {
	rows, err := a.pool.Query(ctx, `SELECT floor(extract(epoch FROM created_at) * 1000 / $5)::bigint, channel,
		count(*),
		count(*) FILTER (WHERE assigned_at IS NOT NULL),
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(record->'sla_clocks') c
			WHERE c->>'clock' = 'first_response' AND c->>'state' = 'met')),
		count(*) FILTER (WHERE state = 'canceled' AND reason = 'abandoned'),
		coalesce(sum((SELECT count(*) FROM jsonb_array_elements(record->'sla_clocks') c
			WHERE c->>'state' = 'breached')), 0),
		coalesce(sum(wait_ms) FILTER (WHERE assigned_at IS NOT NULL), 0),
		count(*) FILTER (WHERE state = 'completed' AND handle_ms IS NOT NULL),
		coalesce(sum(handle_ms) FILTER (WHERE state = 'completed'), 0),
		coalesce(sum(wait_ms) FILTER (WHERE state = 'canceled' AND reason = 'abandoned'), 0)
		FROM contacts WHERE workspace = $1 AND queue = $2 AND created_at >= $3 AND created_at < $4
		GROUP BY 1, 2`, a.ws, queue, from, to, bucket.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("archive: bucket counts: %w", err)
	}
	defer rows.Close()
	out := map[time.Time]map[string]queues.Counts{}
	for rows.Next() {
		var b int64
		var ch string
		var c queues.Counts
		if err := rows.Scan(&b, &ch, &c.Offered, &c.Answered, &c.InTarget, &c.Abandoned, &c.Breached, &c.WaitMS,
			&c.Handled, &c.HandleMS, &c.AbandonWaitMS); err != nil {
			return nil, fmt.Errorf("archive: bucket counts: %w", err)
		}
		c.Accepted = c.Answered
		at := time.UnixMilli(b * bucket.Milliseconds()).UTC()
		if out[at] == nil {
			out[at] = map[string]queues.Counts{}
		}
		out[at][ch] = c
	}
	return out, rows.Err()
}
