package router

import (
	"time"

	"switchboard/config"
	"switchboard/queues"
)

// clockTimes are the due and warning instants of one SLA clock started at
// now, on calendar time or on the queue's business hours; zero when the
// policy sets no target (or the queue never opens).
func (r *base) clockTimes(q config.Queue, p config.SLA, target time.Duration, now time.Time) (due, warn time.Time) {
	if target <= 0 {
		return time.Time{}, time.Time{}
	}
	warnAfter := time.Duration(float64(target) * p.Warning)
	if cal := r.cfg.Calendar(q); cal != nil && p.Clock == config.BusinessClock {
		d, ok := cal.Add(now, target)
		if !ok {
			return time.Time{}, time.Time{}
		}
		w, _ := cal.Add(now, warnAfter)
		return d, w
	}
	return now.Add(target), now.Add(warnAfter)
}

// newTask fills what the configuration decides about a task: its SLA clocks,
// offer timeout, wrap-up and escalation steps.
func (r *base) newTask(q config.Queue, channel string, priority int, now time.Time) queues.NewTask {
	ch := r.cfg.Channels[channel]
	p := r.cfg.Policy(q, channel, priority)
	t := queues.NewTask{
		ID:             NewID("tsk"),
		IdempotencyTTL: r.cfg.Routing.IdempotencyTTL,
		Channel:        channel,
		Queue:          q.ID,
		Priority:       priority,
		OfferTimeout:   ch.OfferTimeout,
		WrapUp:         ch.WrapUp,
		Skill:          q.Skill,
		RepeatWindow:   r.cfg.Quality.FCRWindow,
	}
	t.DueAt, t.FirstWarnAt = r.clockTimes(q, p, p.FirstResponse, now)
	if t.DueAt.IsZero() {
		// Routing still orders by due time: a queue that never opens sorts last.
		t.DueAt = now.Add(100 * 365 * 24 * time.Hour)
		t.FirstWarnAt = time.Time{}
	}
	if channel != "voice" {
		t.NextReplyDue, t.NextReplyWarn = r.clockTimes(q, p, p.NextReply, now)
	}
	for _, st := range q.Escalation {
		t.Escalation = append(t.Escalation, queues.EscalationStep{
			AfterMS: st.After.Milliseconds(), AtWarning: st.AtWarning, Raise: st.RaisePriority, Overflow: st.Overflow, Notify: st.Notify,
			MinProficiency: st.MinProficiency,
		})
	}
	return t
}
