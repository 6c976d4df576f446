package sim

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/config"
	"switchboard/router"
)

// FromCenter builds a scenario of the center as it stands: every queue's
// forecast for a channel between from and to (uploaded, or the seasonal
// average) and the scheduled agents with that channel, with their schedules.
func FromCenter(ctx context.Context, rt *router.App, cfg *config.Config, channel string, from, to time.Time, minutes int) (Scenario, error) {
	sc := Scenario{Start: from, Minutes: minutes, Seed: 1}
	for _, q := range cfg.Queues {
		rows, err := rt.Planning.Forecast(ctx, q.ID, channel, from, to, minutes, 4)
		if err != nil {
			return Scenario{}, err
		}
		d := Demand{Queue: q.ID, Channel: channel, AHTSeconds: 1}
		var weighted, contacts float64
		for _, r := range rows {
			d.Contacts = append(d.Contacts, r.Contacts)
			weighted += r.Contacts * r.AHTSeconds
			contacts += r.Contacts
		}
		if contacts == 0 || weighted == 0 {
			continue
		}
		d.AHTSeconds = weighted / contacts
		sc.Demand = append(sc.Demand, d)
	}
	agents, err := rt.Agents.Agents(ctx)
	if err != nil {
		return Scenario{}, err
	}
	for _, a := range agents {
		if a.Capacity[channel] == 0 {
			continue
		}
		s, err := rt.Planning.AgentSchedule(ctx, a.ID)
		if err != nil {
			return Scenario{}, err
		}
		if s == nil {
			continue // the center's staffing is its scheduled agents
		}
		sc.Agents = append(sc.Agents, SimAgent{Agent: a.Agent, Schedule: s})
	}
	return sc, nil
}

// EffectiveAgents simulates the center as it stands (FromCenter) and returns,
// for one queue, the agents it effectively had per interval start:
// multi-skill agents count for the share of their time the simulation shows
// them spending there.
func EffectiveAgents(ctx context.Context, rt *router.App, rdb redis.UniversalClient, cfg *config.Config,
	queue, channel string, from, to time.Time, minutes int, progress func(float64)) (map[time.Time]float64, error) {
	sc, err := FromCenter(ctx, rt, cfg, channel, from, to, minutes)
	if err != nil {
		return nil, err
	}
	sc.Progress = progress
	out := map[time.Time]float64{}
	if len(sc.Demand) == 0 || len(sc.Agents) == 0 {
		return out, nil
	}
	rep, err := Run(ctx, rdb, cfg, sc)
	if err != nil {
		return nil, err
	}
	for _, e := range rep.Effective {
		if e.Queue == queue {
			out[e.Start] = e.Agents
		}
	}
	return out, nil
}

// Simulator runs what-if simulations of one center, each in a Redis
// workspace of its own on rdb (removed afterwards).
type Simulator struct {
	rdb redis.UniversalClient
	cfg *config.Config
	app *router.App
}

// NewSimulator returns a Simulator of the center app runs.
func NewSimulator(rdb redis.UniversalClient, cfg *config.Config, app *router.App) *Simulator {
	return &Simulator{rdb: rdb, cfg: cfg, app: app}
}

// Check names every invalid field of a scenario, before it is run.
func (s *Simulator) Check(sc Scenario) error { return sc.validate(s.cfg) }

// Run simulates the scenario (see Run).
func (s *Simulator) Run(ctx context.Context, sc Scenario) (Report, error) {
	return Run(ctx, s.rdb, s.cfg, sc)
}

// EffectiveAgents simulates the stored forecasts with the scheduled agents
// (see EffectiveAgents); progress (may be nil) hears how far it is.
func (s *Simulator) EffectiveAgents(ctx context.Context, queue, channel string, from, to time.Time, minutes int,
	progress func(float64)) (map[time.Time]float64, error) {
	return EffectiveAgents(ctx, s.app, s.rdb, s.cfg, queue, channel, from, to, minutes, progress)
}

// FromCenter is the scenario of the center as it stands (see FromCenter).
func (s *Simulator) FromCenter(ctx context.Context, channel string, from, to time.Time, minutes int) (Scenario, error) {
	return FromCenter(ctx, s.app, s.cfg, channel, from, to, minutes)
}
