package router

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/config"
	"switchboard/queues"
	"switchboard/validation"
)

// TaskFilter is a request for a page of tasks (GET /v1/tasks), as given.
type TaskFilter struct {
	State, Queue, Channel, Agent, Customer string
	CreatedAfter, CreatedBefore            string // RFC 3339
	Limit                                  string
	Cursor                                 string
}

// TaskPage is a page of tasks, newest first, and the cursor of the next
// page ("" when there is nothing more).
type TaskPage struct {
	Tasks      []queues.Task `json:"tasks"`
	NextCursor string        `json:"next_cursor"`
}

const (
	defaultTaskPage = 50
	maxTaskPage     = 200
	// taskListBudget bounds the index entries one page looks at, so that a
	// filter that matches little answers quickly with a cursor to go on.
	taskListBudget = 2000
)

var taskStates = []string{queues.Scheduled, queues.Queued, queues.Reserved, queues.Assigned, queues.Wrapping, queues.Completed, queues.Canceled}

// ListTasks validates a filter and reads one page.
func (r *Router) ListTasks(ctx context.Context, f TaskFilter) (TaskPage, error) {
	var errs validation.Errors
	q := queues.TaskQuery{State: f.State, Queue: f.Queue, Channel: f.Channel, Agent: f.Agent, Customer: f.Customer,
		Limit: defaultTaskPage, Budget: taskListBudget}
	if f.State != "" && !slices.Contains(taskStates, f.State) {
		errs.Add("state", "must be one of %s", strings.Join(taskStates, ", "))
	}
	if f.Queue != "" {
		if _, ok := r.cfg.Queue(f.Queue); !ok {
			errs.Add("queue", "unknown queue %q", f.Queue)
		}
	}
	if _, ok := r.cfg.Channels[f.Channel]; f.Channel != "" && !ok {
		errs.Add("channel", "must be one of %s", strings.Join(r.cfg.ChannelNames(), ", "))
	}
	if f.Agent != "" && !config.ValidID(f.Agent) {
		errs.Add("agent", "is not a valid agent id")
	}
	if f.Customer != "" && !config.ValidID(f.Customer) {
		errs.Add("customer", "is not a valid customer id")
	}
	for _, t := range []struct {
		field, v string
		to       *time.Time
	}{{"created_after", f.CreatedAfter, &q.From}, {"created_before", f.CreatedBefore, &q.To}} {
		if t.v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			errs.Add(t.field, "must be an RFC 3339 time, like 2026-03-02T09:00:00Z")
			continue
		}
		*t.to = at
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		errs.Add("created_before", "must not be before created_after")
	}
	if f.Limit != "" {
		n, err := strconv.Atoi(f.Limit)
		if err != nil || n < 1 || n > maxTaskPage {
			errs.Add("limit", "must be a whole number from 1 to %d", maxTaskPage)
		}
		q.Limit = n
	}
	if f.Cursor != "" {
		c, ok := decodeCursor(f.Cursor)
		if !ok {
			errs.Add("cursor", "is not a cursor this list gave (pass next_cursor as it came)")
		}
		q.After = c
	}
	if len(errs) > 0 {
		return TaskPage{}, errs
	}
	tasks, next, err := r.store.ListTasks(ctx, r.clock.Now(), q)
	if err != nil {
		return TaskPage{}, err
	}
	if tasks == nil {
		tasks = []queues.Task{}
	}
	page := TaskPage{Tasks: tasks}
	if next.MS > 0 {
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(next.MS, 10) + ":" + next.ID))
	}
	return page, nil
}

func decodeCursor(s string) (queues.Cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return queues.Cursor{}, false
	}
	ms, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || n <= 0 || id == "" {
		return queues.Cursor{}, false
	}
	return queues.Cursor{MS: n, ID: id}, true
}
