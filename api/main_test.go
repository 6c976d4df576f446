package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"switchboard/api"
	"switchboard/archive"
	"switchboard/clock"
	"switchboard/config"
	"switchboard/handoff"
	"switchboard/internal/redistest"
	"switchboard/jobs"
	"switchboard/langdetect"
	"switchboard/metrics"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/sim"
	"switchboard/streams"
	"switchboard/surveys"
	"switchboard/telephony"
)

var (
	detectorOnce sync.Once
	sharedDet    *langdetect.Detector
)

// detector is built once per test binary: loading the models takes a while.
func detector(t testing.TB, langs []string) *langdetect.Detector {
	detectorOnce.Do(func() {
		d, err := langdetect.New(langs)
		if err != nil {
			t.Fatal(err)
		}
		sharedDet = d
	})
	return sharedDet
}

func TestMain(m *testing.M) { redistest.Main(m) }

const (
	adminKey = "sb_admin_dev"
	anaKey   = "sb_agent_ana_dev"
	brunoKey = "sb_agent_bruno_dev"
)

// instance is one Switchboard instance over real HTTP and a real Redis.
type instance struct {
	t        testing.TB
	srv      *httptest.Server
	router   *router.App
	store    *queues.Store
	handoffs *handoff.Worker // nil without Twilio
	consumer *metrics.Consumer
	archiver *archive.Consumer // nil without a database_url
	surveys  *surveys.Worker
	clock    *clock.Manual
	rdb      redis.UniversalClient
	ws       string
	hub      *streams.Hub
}

// waitFeed returns once the hub's subscription to the agent feed is live
// (streams opened before that would catch up anyway, but tests that count
// events want them live).
func (in *instance) waitFeed() {
	in.t.Helper()
	select {
	case <-in.hub.Ready():
	case <-time.After(10 * time.Second):
		in.t.Fatal("the hub did not subscribe to the agent feed within 10s")
	}
}

// newInstance starts an instance on workspace ws (a new one when empty) with
// the example configuration and a manual clock.
func newInstance(t testing.TB, ws string, clk *clock.Manual, configure ...func(*config.Config)) *instance {
	t.Helper()
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Rate limits are off unless a test turns them on: the tests send fast.
	cfg.RateLimits = config.RateLimits{WebhookAccountPerSecond: -1, WebhookCustomerPerMinute: -1, APIKeyPerSecond: -1}
	// The hub renews presence leases on wall-clock ticks, while these tests
	// jump a manual clock by minutes: presence follows streams only in the
	// tests that turn it on (and drive the renewals themselves).
	off := time.Duration(0)
	cfg.Streams.DisconnectGrace = &off
	if clk == nil {
		clk = clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	}
	// Redis expires finished work by its own clock, at the scripts' now
	// plus the retention: the manual clock is months behind it, so the
	// retention these tests get is the default counted from today.
	cfg.Retention.Finished = time.Since(clk.Now()) + cfg.Retention.Finished
	for _, f := range configure {
		f(cfg)
	}
	if ws == "" {
		ws = redistest.Workspace(t)
	}
	cfg.Workspace = ws
	// The pools the service gets from its configuration.
	rdb := redistest.ClientPool(t, cfg.Redis.PoolSize)
	streamRdb := redistest.ClientPool(t, cfg.Redis.StreamPoolSize)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	settings := router.SettingsFrom(cfg)
	var arch *archive.Archive
	if cfg.DatabaseURL != "" {
		var err error
		if arch, err = archive.Open(context.Background(), cfg.DatabaseURL, ws); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(arch.Close)
		if _, err := arch.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		settings.Archived = true
	}
	store := queues.New(rdb, ws, settings)
	store.ObserveScripts(m.ObserveScript)
	rt := router.New(cfg, store, clk, log).WithDetector(detector(t, cfg.Languages))
	if arch != nil {
		rt.WithHistory(arch)
	}
	reg.MustRegister(metrics.NewCollector(rt.Reporting, log))
	var handoffs api.Handoffs
	var worker *handoff.Worker
	if tw := cfg.Twilio; tw.Enabled() {
		rest, err := telephony.NewTwilioREST(tw.AccountSID, tw.AuthToken, tw.APIBaseURL)
		if err != nil {
			t.Fatal(err)
		}
		// The worker the service runs, with the configured timeout and attempts.
		worker = &handoff.Worker{Store: store.Handoffs(), Provider: rest, Agents: rt.Agents, Clock: clk, Log: log,
			Attempts: cfg.Twilio.APIAttempts, Timeout: cfg.Twilio.APITimeout,
			StatusCallback: cfg.PublicBaseURL + "/webhooks/twilio/messaging/status", Observe: m.ObserveHandoff}
		handoffs = worker
	}
	hub := streams.New(streams.Options{Store: queues.New(streamRdb, ws, router.SettingsFrom(cfg)), Clock: clk, Log: log,
		Buffer: cfg.Streams.Buffer, Grace: cfg.Streams.Grace(), Reads: cfg.Redis.StreamPoolSize,
		PerAgent: cfg.Streams.MaxPerAgent, Max: cfg.Streams.MaxConnections})
	hubCtx, stopHub := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); _ = hub.Run(hubCtx) }()
	runner := &jobs.Runner{Store: store.Jobs(), Clock: clk, Log: log, Owner: "test", Report: 20 * time.Millisecond}
	t.Cleanup(runner.Close)
	stop := make(chan struct{})
	h := api.New(api.Options{App: rt, Jobs: runner, Simulator: sim.NewSimulator(rdb, cfg, rt), Log: log, Metrics: m, Gatherer: reg, Stop: stop, StreamKeepAlive: 200 * time.Millisecond,
		Hub: hub, Handoffs: handoffs, Limiter: redis_rate.NewLimiter(rdb), Archive: arch})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { close(stop); srv.Close(); stopHub(); <-hubDone })
	in := &instance{t: t, srv: srv, router: rt, store: store, handoffs: worker, clock: clk, rdb: rdb, ws: ws, hub: hub,
		consumer: &metrics.Consumer{Store: store, Metrics: m, Name: "test-" + ws, Log: log}}
	in.surveys = &surveys.Worker{Store: store, Config: cfg, Clock: clk, Log: log, Name: "test-" + ws,
		Provider: cfg.Twilio.Enabled()}
	if arch != nil {
		in.archiver = &archive.Consumer{Store: store, Archive: arch, Clock: clk, Log: log, Name: "test-" + ws}
	}
	in.waitFeed()
	return in
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (in *instance) do(method, path, key, body string) response {
	in.t.Helper()
	auth := ""
	if key != "" {
		auth = "Bearer " + key
	}
	return in.request(method, path, body, "Authorization", auth, "Content-Type", "application/json")
}

// request sends a request with headers given as name, value pairs (an empty
// value leaves the header out).
func (in *instance) request(method, path, body string, headers ...string) response {
	in.t.Helper()
	req, err := http.NewRequest(method, in.srv.URL+path, strings.NewReader(body))
	if err != nil {
		in.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// generic posts a generic webhook body to path, signed with secret at time at.
func (in *instance) generic(path, body, secret string, at time.Time) response {
	in.t.Helper()
	return in.request("POST", path, body, telephony.SignatureHeader, telephony.Sign(secret, []byte(body), at))
}

// must performs a request and fails the test unless it answers want.
func (in *instance) must(want int, method, path, key, body string) response {
	in.t.Helper()
	r := in.do(method, path, key, body)
	if r.status != want {
		in.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// sse is an open event stream.
type sse struct {
	events chan sseEvent
	cancel context.CancelFunc
}

type sseEvent struct {
	ID, Type, Data string
}

func (in *instance) stream(agent, key, lastID string) *sse {
	in.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.srv.URL+"/v1/agents/"+agent+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		in.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		cancel()
		in.t.Fatalf("stream: status %d", res.StatusCode)
	}
	s := &sse{events: make(chan sseEvent, 1000), cancel: cancel}
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Type != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Type = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
	}()
	in.t.Cleanup(cancel)
	return s
}

// next returns the next event of the given type, skipping others.
func (s *sse) next(t *testing.T, typ string) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("stream closed waiting for %s", typ)
			}
			if ev.Type == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 10s", typ)
		}
	}
}

// snapshot returns every key of the instance's workspace with its serialized
// value, to prove that a refused request changed nothing.
func (in *instance) snapshot() map[string]string {
	in.t.Helper()
	ctx := context.Background()
	keys, err := redistest.Keys(ctx, in.rdb, queues.Prefix(in.ws)+"*")
	if err != nil {
		in.t.Fatal(err)
	}
	slices.Sort(keys)
	out := map[string]string{}
	for _, k := range keys {
		out[k] = in.rdb.Dump(ctx, k).Val()
	}
	return out
}

const anaJSON = `{"id":"ana","name":"Ana Silva","time_zone":"Europe/Madrid","languages":["en","es"],
	"skills":{"support":4,"billing":2},"capacity":{"voice":1,"chat":3},"contact":"client:ana"}`
