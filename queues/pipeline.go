package queues

import (
	"context"
	"strings"
	"time"
)

// Pipeline sends transitions to Redis in one round trip, applied in order,
// each with its own time: for a caller that knows the next transitions do
// not depend on the replies of the earlier ones (the simulator, between
// events that cannot affect each other). Each result is set by Exec.
type Pipeline struct {
	c   *core
	ops []pending
}

// pending is one transition of a pipeline: its script, time and arguments,
// where its reply is decoded, and what to do with the outcome.
type pending struct {
	sc   script
	now  time.Time
	args any
	out  any
	done func(error)
}

// Pipeline starts an empty pipeline.
func (s *Store) Pipeline() *Pipeline { return &Pipeline{c: s.core} }

// Len is the number of transitions queued.
func (p *Pipeline) Len() int { return len(p.ops) }

// CreateTask queues a task's creation (see Store.CreateTask).
func (p *Pipeline) CreateTask(now time.Time, t NewTask, into *Created, errp *error) {
	r := &createReply{}
	p.ops = append(p.ops, pending{createTaskScript, now, createArgsOf(t), r, func(err error) { *into, *errp = r.created(t.ID, err) }})
}

// CompleteTask queues a completion (see Store.CompleteTask).
func (p *Pipeline) CompleteTask(now time.Time, id, asAgent, disposition string, into *Completion, errp *error) {
	r := &completeReply{}
	p.ops = append(p.ops, pending{completeTaskScript, now, completeArgsOf(id, asAgent, disposition), r,
		func(err error) { *into, *errp = r.completion(id, err) }})
}

// CancelWaiting queues a waiting-only cancel (see Store.CancelWaiting).
func (p *Pipeline) CancelWaiting(now time.Time, id, reason string, into *Routed, errp *error) {
	r := &routedReply{}
	p.ops = append(p.ops, pending{cancelTaskScript, now, cancelArgs{id, reason, true}, r, func(err error) { *into, *errp = r.canceled(id, err) }})
}

// Exec sends the queued transitions and sets their results; it returns an
// error only when the round trip itself failed. The first goes alone, so
// that a server without the library (or, with EVAL, the scripts) gets it
// before the rest arrive.
func (p *Pipeline) Exec(ctx context.Context) error {
	ops := p.ops
	p.ops = nil
	if len(ops) == 0 {
		return nil
	}
	first := ops[0]
	first.done(p.c.run(ctx, first.sc, first.now, first.args, first.out))
	rest := ops[1:]
	if len(rest) == 0 {
		return nil
	}
	keys := []string{string(p.c.keys)}
	if p.c.evalOnly.Load() {
		// EVALSHA needs the scripts in the server's cache: each is loaded
		// once (a load per batch cost the embedded Redis a parse of the
		// whole library every time), and again after the server answered
		// NOSCRIPT (a restart, SCRIPT FLUSH).
		for _, op := range rest {
			if _, ok := p.c.loaded.Load(op.sc.name); !ok {
				if err := op.sc.Load(ctx, p.c.rdb).Err(); err != nil {
					return err
				}
				p.c.loaded.Store(op.sc.name, true)
			}
		}
	}
	pipe := p.c.rdb.Pipeline()
	cmds := make([]func() ([]any, error), len(rest))
	for i, op := range rest {
		argv, err := p.c.encode(op.sc, op.now, op.args)
		if err != nil {
			return err
		}
		if p.c.evalOnly.Load() {
			c := op.sc.EvalSha(ctx, pipe, keys, argv...)
			cmds[i] = c.Slice
		} else {
			c := pipe.FCall(ctx, functions().prefix+op.sc.name, keys, argv...)
			cmds[i] = c.Slice
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !isServerError(err) {
		return err
	}
	for i, op := range rest {
		res, err := cmds[i]()
		if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			p.c.loaded.Delete(op.sc.name)
		}
		op.done(decode(op.sc, res, err, op.out))
	}
	return nil
}
