package queues

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// TrimIndexes removes from the task indexes (all tasks, each of queues',
// each agent's) the tasks retention has expired, looking at no more than
// budget entries per call: it is called again until done.
func (s *Store) TrimIndexes(ctx context.Context, now time.Time, retention time.Duration, queues []string) (int, error) {
	if retention <= 0 {
		return 0, nil
	}
	agents, err := s.rdb.SMembers(ctx, s.keys.agentsKey()).Result()
	if err != nil {
		return 0, err
	}
	removed := 0
	// The index of all tasks and the queues' go first, then the agents', a
	// slice of them a call.
	const perCall = 200
	for i := 0; i == 0 || i < len(agents); i += perCall {
		args := trimArgs{Queues: nonNil(queues), Agents: agents[i:min(i+perCall, len(agents))],
			CutoffMS: now.Add(-retention).UnixMilli(), Budget: 2000}
		if i > 0 {
			args.Queues = []string{}
		}
		for {
			var r struct {
				Removed int  `json:"removed"`
				Done    bool `json:"done"`
			}
			if err := s.run(ctx, trimIndexScript, now, args, &r); err != nil {
				return removed, err
			}
			removed += r.Removed
			if r.Done || r.Removed == 0 {
				break
			}
		}
	}
	return removed, nil
}

type trimArgs struct {
	Queues   []string `json:"queues"`
	Agents   []string `json:"agents"`
	CutoffMS int64    `json:"cutoff_ms"`
	Budget   int      `json:"budget"`
}

// Released is a finished task the archive has: its keys expire a retention
// time after it ended.
type Released struct {
	ID      string `json:"id"`
	EndedMS int64  `json:"ended_ms"`
}

// ReleaseArchived sets the expiry of finished tasks the archive has written.
func (s *Store) ReleaseArchived(ctx context.Context, now time.Time, tasks []Released) (int, error) {
	if len(tasks) == 0 {
		return 0, nil
	}
	var r struct {
		Released int `json:"released"`
	}
	err := s.run(ctx, releaseScript, now, struct {
		Tasks []Released `json:"tasks"`
	}{tasks}, &r)
	return r.Released, err
}

// FinishedTask is a finished task with its conversation and customer, as the
// archive takes it.
type FinishedTask struct {
	Task     Task
	Messages []json.RawMessage
	Customer *Customer // nil: no customer, or Redis no longer has them
}

// FinishedTasks reads finished tasks for the archive in two round trips;
// those Redis no longer has, or that are not finished, are left out.
func (s *Store) FinishedTasks(ctx context.Context, ids []string) ([]FinishedTask, error) {
	ts, err := s.getTasks(ctx, ids)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	msgs := make([]*redis.StringSliceCmd, len(ts))
	cust := make([]*redis.MapStringStringCmd, len(ts))
	idents := make([]*redis.StringSliceCmd, len(ts))
	for i, t := range ts {
		msgs[i] = pipe.LRange(ctx, s.keys.messagesKey(t.ID), 0, -1)
		if t.CustomerID != "" {
			cust[i] = pipe.HGetAll(ctx, s.keys.customerKey(t.CustomerID))
			idents[i] = pipe.SMembers(ctx, s.keys.customerIdentitiesKey(t.CustomerID))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read finished tasks: %w", err)
	}
	out := make([]FinishedTask, 0, len(ts))
	for i, t := range ts {
		if t.State != Completed && t.State != Canceled {
			continue
		}
		f := FinishedTask{Task: t, Messages: []json.RawMessage{}}
		for _, m := range msgs[i].Val() {
			f.Messages = append(f.Messages, json.RawMessage(m))
		}
		if cust[i] != nil && len(cust[i].Val()) > 0 {
			h := cust[i].Val()
			ids := idents[i].Val()
			slices.Sort(ids)
			f.Customer = &Customer{ID: t.CustomerID, Name: h["name"], CreatedAt: ms(h["created_at"]),
				Identities: ids, LastAgent: h["last_agent"]}
		}
		out = append(out, f)
	}
	return out, nil
}
