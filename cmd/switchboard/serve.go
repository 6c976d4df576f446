package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"switchboard/api"
	"switchboard/archive"
	"switchboard/clock"
	"switchboard/config"
	"switchboard/delivery"
	"switchboard/handoff"
	"switchboard/health"
	"switchboard/internal/embedded"
	"switchboard/internal/redisconn"
	"switchboard/jobs"
	"switchboard/langdetect"
	"switchboard/metrics"
	"switchboard/outbox"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/sim"
	"switchboard/streams"
	"switchboard/surveys"
	"switchboard/telephony"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flags("serve", stderr)
	path := fs.String("config", "", "configuration file (default: $SWITCHBOARD_CONFIG, else the built-in example)")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	cfg, source, err := loadConfig(*path)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if keys := cfg.PublishedKeys(); len(keys) > 0 && cfg.RedisURL != "" && !cfg.Development {
		return fmt.Errorf("the configuration accepts the example's development API keys (%s), which the README publishes: "+
			"set your own under auth.api_keys (sha256 of each key: printf %%s 'the-key' | sha256sum), "+
			"or set SWITCHBOARD_DEVELOPMENT=1 to run with them", strings.Join(keys, ", "))
	}
	log := newLogger(stderr, cfg.LogLevel)
	// go-redis reports pool and connection trouble through its own logger:
	// into the same JSON log.
	redis.SetLogger(redisLog{log})
	log.Info("configuration loaded", "source", source, "queues", len(cfg.Queues), "workspace", cfg.Workspace)

	rdb, streamRdb, closeRedis, err := connect(cfg, log)
	if err != nil {
		return err
	}
	defer closeRedis()

	var arch *archive.Archive
	if cfg.DatabaseURL != "" {
		if arch, err = openArchive(ctx, cfg, log); err != nil {
			return err
		}
		defer arch.Close()
	} else {
		log.Warn("DATABASE_URL is not set: finished contacts are kept only for the retention time",
			"retention", cfg.Retention.Finished.String())
	}
	srv, loops, err := build(cfg, rdb, streamRdb, clock.Real{}, log, arch)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	log.Info("switchboard listening", "addr", ln.Addr().String())
	return runServer(ctx, cfg, srv, ln, loops, log)
}

// connect opens the configured Redis, or an embedded in-memory one, with two
// clients: one for requests, timers and metrics, and a small one for agent
// event streams, so that however many desktops catch up at once, requests
// never wait behind them. Their connections are named after the replica
// (CLIENT LIST shows who holds what).
func connect(cfg *config.Config, log *slog.Logger) (rdb, streamRdb redis.UniversalClient, closeAll func(), err error) {
	url, stop := cfg.RedisURL, func() {}
	if url == "" {
		mr, err := embedded.Start()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("start embedded redis: %w", err)
		}
		log.Warn("REDIS_URL is not set: using an embedded in-memory Redis; all state is lost when the process stops and replicas cannot share it")
		// The embedded Redis counts times to live down only when told:
		// tell it each second, so that expiry (retention, idempotency
		// keys, leases) follows the wall clock as on a real server.
		done := make(chan struct{})
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			last := time.Now()
			for {
				select {
				case <-done:
					return
				case now := <-t.C:
					mr.FastForward(now.Sub(last))
					last = now
				}
			}
		}()
		url, stop = "redis://"+mr.Addr(), func() { close(done); mr.Close() }
	}
	target, err := redisconn.Parse(url)
	if err != nil {
		stop()
		return nil, nil, nil, fmt.Errorf("redis_url: %w", err)
	}
	rc := cfg.Redis
	host, _ := os.Hostname()
	name := fmt.Sprintf("switchboard-%s-%d", host, os.Getpid())
	set := redisconn.Settings{DialTimeout: rc.DialTimeout, ReadTimeout: rc.ReadTimeout, WriteTimeout: rc.WriteTimeout,
		PoolTimeout: rc.PoolTimeout}
	apiSet, streamSet := set, set
	apiSet.PoolSize, apiSet.Name = rc.PoolSize, name+"-api"
	streamSet.PoolSize, streamSet.Name = rc.StreamPoolSize, name+"-streams"
	a, err := redisconn.Open(url, apiSet)
	if err != nil {
		stop()
		return nil, nil, nil, fmt.Errorf("redis_url: %w", err)
	}
	st, err := redisconn.Open(url, streamSet)
	if err != nil {
		_ = a.Close()
		stop()
		return nil, nil, nil, fmt.Errorf("redis_url: %w", err)
	}
	closeAll = func() { _ = a.Close(); _ = st.Close(); stop() }
	if cfg.RedisURL != "" {
		pctx, cancel := context.WithTimeout(context.Background(), rc.DialTimeout)
		defer cancel()
		if err := a.Ping(pctx).Err(); err != nil {
			closeAll()
			return nil, nil, nil, fmt.Errorf("redis at %s: %w", strings.Join(target.Addrs, ","), err)
		}
		log.Info("connected to redis", "kind", target.Kind, "addr", strings.Join(target.Addrs, ","), "master", target.Master,
			"db", target.DB, "pool_size", rc.PoolSize, "stream_pool_size", rc.StreamPoolSize)
	}
	return a, st, closeAll, nil
}

// openArchive connects to the archive and applies its migrations.
func openArchive(ctx context.Context, cfg *config.Config, log *slog.Logger) (*archive.Archive, error) {
	arch, err := archive.Open(ctx, cfg.DatabaseURL, cfg.Workspace)
	if err != nil {
		return nil, err
	}
	applied, err := arch.Migrate(ctx)
	if err != nil {
		arch.Close()
		return nil, err
	}
	log.Info("archive ready (PostgreSQL)", "migrations_applied", applied)
	return arch, nil
}

// migrate applies the archive's migrations and stops.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("migrate", stderr)
	path := fs.String("config", "", "configuration file (default: $SWITCHBOARD_CONFIG, else the built-in example)")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	cfg, _, err := loadConfig(*path)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("migrate: set DATABASE_URL (or database_url) to the PostgreSQL archive")
	}
	arch, err := archive.Open(ctx, cfg.DatabaseURL, cfg.Workspace)
	if err != nil {
		return err
	}
	defer arch.Close()
	applied, err := arch.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied: %v\n", applied)
	return nil
}

// redisLog writes go-redis's messages as warnings of the service log.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

// loop is a background service that runs until its context ends.
type loop func(ctx context.Context) error

// build wires one Switchboard instance: store, router, metrics, the agent
// stream hub (on its own client, streamRdb) and HTTP.
// With arch, finished contacts are archived and read back from it.
func build(cfg *config.Config, rdb, streamRdb redis.UniversalClient, clk clock.Clock, log *slog.Logger,
	arch *archive.Archive) (*httpServer, []loop, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	settings := router.SettingsFrom(cfg)
	settings.Archived = arch != nil
	store := queues.New(rdb, cfg.Workspace, settings)
	store.ObserveScripts(m.ObserveScript)
	detector, err := langdetect.New(cfg.Languages)
	if err != nil {
		return nil, nil, fmt.Errorf("language detection: %w", err)
	}
	rt := router.New(cfg, store, clk, log).WithDetector(detector)
	if arch != nil {
		rt.WithHistory(arch)
	}
	reg.MustRegister(metrics.NewCollector(rt.Reporting, log))
	var handoffs *handoff.Worker
	if tw := cfg.Twilio; tw.Enabled() {
		rest, err := telephony.NewTwilioREST(tw.AccountSID, tw.AuthToken, tw.APIBaseURL)
		if err != nil {
			return nil, nil, err
		}
		handoffs = newHandoffs(cfg, store, rest, rt, clk, log, m)
		log.Info("twilio enabled", "account", tw.AccountSID, "webhooks", cfg.PublicBaseURL+"/webhooks/twilio/voice")
	}
	host, _ := os.Hostname()
	consumer := &metrics.Consumer{Store: store, Metrics: m, Name: fmt.Sprintf("%s-%d", host, os.Getpid()), Log: log}
	hub := streams.New(streams.Options{Store: queues.New(streamRdb, cfg.Workspace, router.SettingsFrom(cfg)),
		Clock: clk, Log: log, Buffer: cfg.Streams.Buffer, Grace: cfg.Streams.Grace(), Reads: cfg.Redis.StreamPoolSize,
		PerAgent: cfg.Streams.MaxPerAgent, Max: cfg.Streams.MaxConnections, Replica: consumer.Name})
	reg.MustRegister(metrics.NewStreamsCollector(hub, map[string]metrics.PoolStater{"api": rdb, "streams": streamRdb}))
	monitor := &health.Monitor{Store: store, Clock: clk, Log: log, Observe: m.ObserveRedis,
		OnReset: func(ctx context.Context) error { _, err := rt.Agents.ResyncAgents(ctx); return err }}
	runner := &jobs.Runner{Store: store.Jobs(), Clock: clk, Log: log, Owner: consumer.Name}
	stop := make(chan struct{})
	h := api.New(api.Options{App: rt, Health: monitor, Jobs: runner, Simulator: sim.NewSimulator(rdb, cfg, rt), Log: log, Metrics: m, Gatherer: reg, Stop: stop, Hub: hub,
		Handoffs: optional(handoffs), Limiter: redis_rate.NewLimiter(rdb), Archive: arch})
	queueNames := make([]string, len(cfg.Queues))
	for i, q := range cfg.Queues {
		queueNames[i] = q.ID
	}
	keeper := &outbox.Keeper{Store: store.Outbox(), Clock: clk, Log: log, Owner: consumer.Name, Metrics: outbox.NewMetrics(reg),
		TrimEvery: cfg.Retention.TrimEvery, Trim: func(ctx context.Context, now time.Time) (int, error) {
			return store.TrimIndexes(ctx, now, cfg.Retention.Finished, queueNames)
		}}
	// Background jobs end with the replica (canceled, recorded as such).
	jobsLoop := func(ctx context.Context) error { <-ctx.Done(); runner.Close(); return nil }
	loops := []loop{monitor.Run, rt.Run, consumer.Run, hub.Run, keeper.Run, jobsLoop}
	if handoffs != nil {
		loops = append(loops, handoffs.Run)
	}
	sv := &surveys.Worker{Store: store, Config: cfg, Clock: clk, Log: log, Name: consumer.Name, Provider: cfg.Twilio.Enabled()}
	loops = append(loops, sv.Run)
	if arch != nil {
		ac := &archive.Consumer{Store: store, Archive: arch, Clock: clk, Log: log, Name: consumer.Name,
			Metrics: archive.NewMetrics(reg)}
		loops = append(loops, ac.Run)
	}
	if len(cfg.EventWebhooks) > 0 {
		dm := delivery.NewMetrics(reg)
		for _, sub := range cfg.EventWebhooks {
			d := &delivery.Deliverer{Sub: sub, Store: store, Client: &http.Client{}, Clock: clk, Log: log, Metrics: dm,
				Owner: consumer.Name}
			loops = append(loops, d.Run)
			log.Info("event webhook", "subscriber", sub.Name, "url", sub.URL, "events", sub.Events)
		}
	}
	return &httpServer{handler: h, stop: stop}, loops, nil
}

// newHandoffs is the worker that puts accepted calls through and sends
// replies through Twilio, with the configured timeout and attempts.
func newHandoffs(cfg *config.Config, store *queues.Store, rest handoff.Provider, rt *router.App, clk clock.Clock,
	log *slog.Logger, m *metrics.Metrics) *handoff.Worker {
	return &handoff.Worker{Store: store.Handoffs(), Provider: rest, Agents: rt.Agents, Clock: clk, Log: log,
		Attempts: cfg.Twilio.APIAttempts, Timeout: cfg.Twilio.APITimeout,
		StatusCallback: cfg.PublicBaseURL + "/webhooks/twilio/messaging/status", Observe: m.ObserveHandoff}
}

// optional keeps a nil worker a nil interface.
func optional(w *handoff.Worker) api.Handoffs {
	if w == nil {
		return nil
	}
	return w
}

type httpServer struct {
	handler http.Handler
	stop    chan struct{}
}

// runServer serves until ctx ends, then drains HTTP within the shutdown
// timeout and stops the background loops.
func runServer(ctx context.Context, cfg *config.Config, s *httpServer, ln net.Listener, loops []loop, log *slog.Logger) error {
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout: cfg.HTTP.ReadTimeout, WriteTimeout: cfg.HTTP.WriteTimeout, IdleTimeout: cfg.HTTP.IdleTimeout}
	loopCtx, stopLoops := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, l := range loops {
		wg.Go(func() {
			if err := l(loopCtx); err != nil {
				log.Error("background loop stopped", "err", err)
			}
		})
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout.String())
		close(s.stop) // end event streams so Shutdown can drain
		sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
		err = hs.Shutdown(sctx)
		cancel()
	}
	stopLoops()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}
