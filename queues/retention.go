package queues

import (
	"context"
	"time"
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
