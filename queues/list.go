package queues

import (
	"context"
	"fmt"
	"math"
	"time"
)

// TaskQuery selects tasks for a list, newest first. One index is read: the
// customer's timeline, the agent's tasks, the queue's tasks or all tasks
// (the first filter given, in that order); the other filters are checked
// task by task.
type TaskQuery struct {
	State, Channel, Queue, Agent, Customer string
	// From and To bound the creation time (zero: open).
	From, To time.Time
	// After is where the previous page ended (zero: from the newest).
	After Cursor
	Limit int
	// Budget is the most index entries one call looks at.
	Budget int
}

// Cursor is a position in a list: the creation time and id of the last
// task looked at.
type Cursor struct {
	MS int64
	ID string
}

// ListTasks returns a page of tasks and where the next page starts (a zero
// Cursor: there is nothing more). A page may be short, even empty, with a
// cursor to go on when the filters matched little of what one call may
// look at.
func (s *Store) ListTasks(ctx context.Context, now time.Time, q TaskQuery) ([]Task, Cursor, error) {
	index, of := "all", ""
	switch {
	case q.Customer != "":
		index, of = "customer", q.Customer
	case q.Agent != "":
		index, of = "agent", q.Agent
	case q.Queue != "":
		index, of = "queue", q.Queue
	}
	from, to := int64(0), int64(math.MaxInt64/2)
	if !q.From.IsZero() {
		from = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		to = q.To.UnixMilli()
	}
	args := struct {
		Index    string `json:"index"`
		Of       string `json:"of"`
		FromMS   int64  `json:"from_ms"`
		ToMS     int64  `json:"to_ms"`
		CursorMS int64  `json:"cursor_ms"`
		CursorID string `json:"cursor_id"`
		Limit    int    `json:"limit"`
		Budget   int    `json:"budget"`
		State    string `json:"state"`
		Channel  string `json:"channel"`
		Queue    string `json:"queue"`
		Agent    string `json:"agent"`
	}{index, of, from, to, q.After.MS, q.After.ID, q.Limit, q.Budget, q.State, q.Channel, q.Queue, q.Agent}
	var r struct {
		IDs    []string `json:"ids"`
		NextMS int64    `json:"next_ms,string"`
		NextID string   `json:"next_id"`
	}
	if err := s.run(ctx, listTasksScript, now, args, &r); err != nil {
		return nil, Cursor{}, fmt.Errorf("list tasks: %w", err)
	}
	tasks, err := s.getTasks(ctx, r.IDs)
	if err != nil {
		return nil, Cursor{}, err
	}
	next := Cursor{}
	if r.NextMS > 0 {
		next = Cursor{MS: r.NextMS, ID: r.NextID}
	}
	return tasks, next, nil
}
