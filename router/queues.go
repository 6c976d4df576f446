package router

import (
	"context"
	"time"

	"switchboard/config"
	"switchboard/queues"
)

// QueueView is a queue's configuration with its live figures.
type QueueView struct {
	ID             string                `json:"id"`
	Skill          string                `json:"skill"`
	Language       string                `json:"language"`
	Strategy       string                `json:"strategy"`
	Open           bool                  `json:"open"`
	NextOpen       *time.Time            `json:"next_open,omitempty"`
	TimeZone       string                `json:"time_zone"`
	EligibleAgents int64                 `json:"eligible_agents"`
	Channels       map[string]ChannelNow `json:"channels"`
	Today          Period                `json:"today"`
	Window         Period                `json:"window"`
}

// ChannelNow is a queue's live state on one channel.
type ChannelNow struct {
	Waiting         int64   `json:"waiting"`
	OldestWaitSecs  float64 `json:"oldest_wait_seconds"`
	AvailableAgents int64   `json:"available_agents"`
	// FirstResponseTarget is the queue's first-response target on the
	// channel (seconds, at the default priority; 0: none): a wallboard
	// colours a queue whose oldest contact nears or passes it.
	FirstResponseTarget float64 `json:"first_response_target_seconds"`
}

// Period holds the service-level figures of the contacts created in a period.
// service_level leaves abandoned contacts out (answered within target /
// answered); service_level_with_abandons counts them as missed (answered
// within target / (answered + abandoned)). Both are null when undefined.
type Period struct {
	From                     time.Time     `json:"from"`
	To                       time.Time     `json:"to"`
	Counts                   queues.Counts `json:"counts"`
	ServiceLevel             *float64      `json:"service_level"`
	ServiceLevelWithAbandons *float64      `json:"service_level_with_abandons"`
}

func period(from, to time.Time, byChannel map[string]queues.Counts) Period {
	p := Period{From: from, To: to}
	for _, c := range byChannel {
		p.Counts.Add(c)
	}
	if sl := p.Counts.ServiceLevel(); sl >= 0 {
		p.ServiceLevel = &sl
	}
	if sl := p.Counts.ServiceLevelWithAbandons(); sl >= 0 {
		p.ServiceLevelWithAbandons = &sl
	}
	return p
}

// Queues returns every queue (or the one named) with its live figures: the
// current day runs from midnight in the queue's time zone, the window over
// the last routing.service_level_window.
func (r *Reporting) Queues(ctx context.Context, only string) ([]QueueView, error) {
	var qs []config.Queue
	for _, q := range r.cfg.Queues {
		if only == "" || q.ID == only {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return nil, &queues.Error{Code: "queue_not_found", Detail: only}
	}
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	now := r.clock.Now()
	stats, err := r.store.QueueStats(ctx, ids, r.cfg.ChannelNames())
	if err != nil {
		return nil, err
	}
	eligible, err := r.store.EligibleAgents(ctx, ids)
	if err != nil {
		return nil, err
	}
	windowFrom := now.Add(-r.cfg.Routing.ServiceLevelWindow)
	window, err := r.store.ServiceCounts(ctx, ids, windowFrom, now)
	if err != nil {
		return nil, err
	}
	out := make([]QueueView, 0, len(qs))
	for _, q := range qs {
		loc := time.UTC
		cal := r.cfg.Calendar(q)
		if cal != nil {
			loc = cal.Loc
		}
		lt := now.In(loc)
		midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
		today, err := r.store.ServiceCounts(ctx, []string{q.ID}, midnight, now)
		if err != nil {
			return nil, err
		}
		v := QueueView{ID: q.ID, Skill: q.Skill, Language: q.Language, Strategy: q.Strategy, Open: true,
			TimeZone: loc.String(), EligibleAgents: eligible[q.ID], Channels: map[string]ChannelNow{},
			Today: period(midnight, lt, today[q.ID]), Window: period(windowFrom, now, window[q.ID])}
		if cal != nil {
			v.Open = cal.Open(now)
			if !v.Open {
				if next, ok := cal.NextOpen(now); ok {
					v.NextOpen = &next
				}
			}
		}
		for _, s := range stats {
			if s.Queue != q.ID {
				continue
			}
			c := ChannelNow{Waiting: s.Waiting, AvailableAgents: s.Available,
				FirstResponseTarget: r.cfg.Policy(q, s.Channel, 0).FirstResponse.Seconds()}
			if !s.OldestCreated.IsZero() {
				c.OldestWaitSecs = now.Sub(s.OldestCreated).Seconds()
			}
			v.Channels[s.Channel] = c
		}
		out = append(out, v)
	}
	return out, nil
}

// PresenceCounts returns how many agents are in each presence state.
func (r *Reporting) PresenceCounts(ctx context.Context) (map[string]int64, error) {
	return r.store.PresenceCounts(ctx)
}
