package router

import (
	"context"
	"log/slog"
	"time"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/queues"
)

// base is what every part of the application layer shares: the
// configuration, the clock and the log. Each part has its own narrow view
// of the store (stores.go).
type base struct {
	cfg   *config.Config
	clock clock.Clock
	log   *slog.Logger
	// history is the archive of finished contacts (nil: none).
	history History
}

// Agents manages agent profiles, eligibility and presence.
type Agents struct {
	*base
	store agentStore
}

// Contacts takes contacts from providers (routing rules, language, the
// customer they come from) and carries conversations: messages, replies,
// delivery failures, customers and their timelines.
type Contacts struct {
	*base
	store contactStore
	// detect guesses a message's language; nil disables detection.
	detect Detector
}

// Planning is the workforce planner's side: schedules, adherence,
// forecasts and coverage.
type Planning struct {
	*base
	store  planningStore
	agents *Agents
}

// Reporting reads what happened: queues with their service level, agents
// by presence and out of adherence, interval statistics, and event
// deliveries that failed.
type Reporting struct {
	*base
	store    reportingStore
	planning *Planning
}

// OutOfAdherence counts the agents out of adherence now (see Planning).
func (r *Reporting) OutOfAdherence(ctx context.Context) (int, error) {
	return r.planning.OutOfAdherence(ctx)
}

// App is the application layer of one workspace, one part per
// responsibility: Tasks routes and runs the task lifecycle, Agents,
// Contacts, Planning and Reporting the rest. Run fires the timers.
type App struct {
	Tasks     *Router
	Agents    *Agents
	Contacts  *Contacts
	Planning  *Planning
	Reporting *Reporting
	b         *base
	ping      func(context.Context) error
}

// New returns the application layer for a workspace.
func New(cfg *config.Config, store *queues.Store, clk clock.Clock, log *slog.Logger) *App {
	b := &base{cfg: cfg, clock: clk, log: log}
	tasks, agents := &Router{base: b, store: store}, &Agents{base: b, store: store}
	planning := &Planning{base: b, store: planningParts{store, store.Plans(), store.Figures()}, agents: agents}
	reporting := &Reporting{base: b, store: reportingParts{store.Figures(), store.Outbox()}, planning: planning}
	return &App{Tasks: tasks, Agents: agents, Contacts: &Contacts{base: b, store: store},
		Planning: planning, Reporting: reporting, b: b, ping: store.Ping}
}

// WithDetector sets the language detector of incoming messages.
func (a *App) WithDetector(d Detector) *App {
	a.Contacts.detect = d
	return a
}

// Config is the configuration the application runs with.
func (a *App) Config() *config.Config { return a.b.cfg }

// Now is the application's current time.
func (a *App) Now() time.Time { return a.b.clock.Now() }

// Channels are the configured channels, in a stable order.
func (a *App) Channels() []string { return a.b.cfg.ChannelNames() }

// Ping checks that the store answers.
func (a *App) Ping(ctx context.Context) error { return a.ping(ctx) }
