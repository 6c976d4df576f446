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
// error only when the round trip itself failed. Until the server is known
// to hold the code (the library, or with EVAL the scripts), the first goes
// alone and loads it; then a batch is one round trip. Transitions the
// server refused for want of the code (a restart without persistence, a
// flush) ran nowhere: they run again, in order, one by one, which loads it.
func (p *Pipeline) Exec(ctx context.Context) error {
	ops := p.ops
	p.ops = nil
	if len(ops) == 0 {
		return nil
	}
	if !p.c.codeLoaded.Load() {
		first := ops[0]
		err := p.c.run(ctx, first.sc, first.now, first.args, first.out)
		first.done(err)
		if !isMissingCode(err) {
			p.c.codeLoaded.Store(true)
		}
		ops = ops[1:]
		if len(ops) == 0 {
			return nil
		}
	}
	keys := []string{string(p.c.keys)}
	if p.c.evalOnly.Load() {
		// EVALSHA needs the scripts in the server's cache: each is loaded
		// once (a load per batch cost the embedded Redis a parse of the
		// whole library every time).
		for _, op := range ops {
			if _, ok := p.c.loaded.Load(op.sc.name); !ok {
				if err := op.sc.Load(ctx, p.c.rdb).Err(); err != nil {
					return err
				}
				p.c.loaded.Store(op.sc.name, true)
			}
		}
	}
	pipe := p.c.rdb.Pipeline()
	cmds := make([]func() ([]any, error), len(ops))
	for i, op := range ops {
		argv, err := p.c.encode(op.sc, op.now, op.args)
		if err != nil {
			return err
		}
		if p.c.evalOnly.Load() {
			cmds[i] = op.sc.EvalSha(ctx, pipe, keys, argv...).Slice
		} else {
			cmds[i] = pipe.FCall(ctx, functions().prefix+op.sc.name, keys, argv...).Slice
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !isServerError(err) {
		return err
	}
	for i, op := range ops {
		res, err := cmds[i]()
		if isMissingCode(err) {
			p.c.loaded.Delete(op.sc.name)
			op.done(p.c.run(ctx, op.sc, op.now, op.args, op.out))
			continue
		}
		op.done(decode(op.sc, res, err, op.out))
	}
	return nil
}

// isMissingCode reports whether the server refused a call for want of the
// code: the library (FCALL) or the script (EVALSHA).
func isMissingCode(err error) bool {
	return err != nil && isServerError(err) &&
		(strings.Contains(err.Error(), "Function not found") || strings.HasPrefix(err.Error(), "NOSCRIPT"))
}
