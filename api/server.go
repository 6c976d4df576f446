// Package api is Switchboard's HTTP layer: the gin engine, authentication,
// problem+json errors, the REST resources and the agents' event streams.
package api

import (
	"cmp"
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"switchboard/archive"
	"switchboard/config"
	"switchboard/handoff"
	"switchboard/health"
	"switchboard/internal/hangup"
	"switchboard/jobs"
	"switchboard/metrics"
	"switchboard/router"
	"switchboard/sim"
	"switchboard/streams"
	"switchboard/telephony"
	"switchboard/validation"
	"switchboard/web"
)

// Server serves the API of one Switchboard instance.
type Server struct {
	app *router.App
	// simulator runs what-if simulations (on a Redis workspace of their own).
	simulator Simulator
	cfg       *config.Config
	keys      *keyring
	log       *slog.Logger
	metrics   *metrics.Metrics
	// stop ends long-lived streams when the server shuts down.
	stop <-chan struct{}
	// hub fans agent events out to this replica's streams.
	hub *streams.Hub
	// streamKeepAlive is the longest a stream stays silent.
	streamKeepAlive time.Duration
	// streamCtx ends with the server (Stop): streams outlive their requests.
	streamCtx context.Context
	// hangups notices desktops that closed their stream.
	hangups hangup.Watcher

	twilio *telephony.Twilio // nil when Twilio is not configured
	// archive is the archive of finished contacts (nil: none).
	archive *archive.Archive
	// handoffs makes the first attempt of a hand-off a request committed.
	handoffs Handoffs
	// health says whether Redis answers (nil: not watched).
	health Health
	// jobs runs heavy work in the background.
	jobs    *jobs.Runner
	limiter *redis_rate.Limiter

	webhookAccountLimit, webhookCustomerLimit, apiKeyLimit, failedAuthLimit redis_rate.Limit
}

// The handlers, one type per area of the API, share the Server's settings
// and middleware; each is registered in New.
type (
	// agentsAPI serves agent profiles, bulk import and export, and presence.
	agentsAPI struct{ *Server }
	// tasksAPI serves tasks, offers and a task's messages.
	tasksAPI struct{ *Server }
	// streamsAPI serves the agents' event streams.
	streamsAPI struct{ *Server }
	// webhooksAPI serves the providers' webhooks (Twilio, generic).
	webhooksAPI struct{ *Server }
	// planningAPI serves schedules, adherence, forecasts, coverage,
	// staffing and simulations.
	planningAPI struct{ *Server }
	// reportingAPI serves queues, statistics, customers and dead letters.
	reportingAPI struct{ *Server }
)

// Handoffs attempts a provider hand-off now (package handoff).
type Handoffs interface {
	Try(ctx context.Context, id string) (handoff.Result, error)
}

// Health is what the server knows of Redis (package health).
type Health interface {
	State() health.State
}

// Simulator runs what-if simulations (package sim).
type Simulator interface {
	Check(sc sim.Scenario) error
	Run(ctx context.Context, sc sim.Scenario) (sim.Report, error)
	EffectiveAgents(ctx context.Context, queue, channel string, from, to time.Time, minutes int, progress func(float64)) (map[time.Time]float64, error)
	FromCenter(ctx context.Context, channel string, from, to time.Time, minutes int) (sim.Scenario, error)
}

// Options configure a Server.
type Options struct {
	App *router.App
	// Simulator runs what-if simulations.
	Simulator Simulator
	Log       *slog.Logger
	Metrics   *metrics.Metrics
	Gatherer  prometheus.Gatherer
	// Stop, when closed, ends open event streams (graceful shutdown).
	Stop <-chan struct{}
	// Hub serves the agents' event streams; its Run must be running.
	Hub *streams.Hub
	// StreamKeepAlive overrides streams.keep_alive (tests).
	StreamKeepAlive time.Duration
	// Handoffs puts calls through and sends replies; nil without Twilio.
	Handoffs Handoffs
	// Health watches Redis: while it is down, requests get 503 at once.
	Health Health
	// Jobs runs simulations and simulated coverage in the background.
	Jobs *jobs.Runner
	// Limiter rate limits callers; nil disables rate limits.
	Limiter *redis_rate.Limiter
	// Archive is the PostgreSQL archive the quality report reads; nil: none.
	Archive *archive.Archive
}

// New builds the HTTP handler.
func New(o Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		app: o.App, simulator: o.Simulator, cfg: o.App.Config(), keys: newKeyring(o.App.Config().Auth.APIKeys),
		log: o.Log, metrics: o.Metrics, stop: o.Stop, hub: o.Hub,
		streamKeepAlive: cmp.Or(o.StreamKeepAlive, o.App.Config().Streams.KeepAlive),
	}
	if w, err := hangup.New(); err == nil {
		s.hangups = w
	} else {
		o.Log.Warn("desktops that leave are noticed at the next keep-alive only", "err", err)
		s.hangups = hangup.None
	}
	s.streamCtx = context.Background()
	if o.Stop != nil {
		ctx, stopStreams := context.WithCancel(context.Background())
		s.streamCtx = ctx
		go func() {
			<-o.Stop
			stopStreams()
			_ = s.hangups.Close()
		}()
	}
	if tw := s.cfg.Twilio; tw.Enabled() {
		s.twilio = telephony.NewTwilio(tw.AuthToken, s.cfg.PublicBaseURL, s.cfg.Customers.DefaultRegion)
		s.handoffs = o.Handoffs
	}
	s.limiter = o.Limiter
	s.archive = o.Archive
	s.health = o.Health
	s.jobs = o.Jobs
	rl := s.cfg.RateLimits
	s.webhookAccountLimit = redis_rate.PerSecond(rl.WebhookAccountPerSecond)
	s.webhookCustomerLimit = redis_rate.PerMinute(rl.WebhookCustomerPerMinute)
	s.apiKeyLimit = redis_rate.PerSecond(rl.APIKeyPerSecond)
	s.failedAuthLimit = redis_rate.PerMinute(rl.FailedAuthPerMinute)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.NoRoute(func(c *gin.Context) { problem(c, http.StatusNotFound, "no such route") })
	e.NoMethod(func(c *gin.Context) { problem(c, http.StatusMethodNotAllowed, "method not allowed on this route") })
	e.Use(s.observe, s.recover, s.limitBody, strictQuery)

	// The pages (agent desktop, wallboard, planner workspace): static files;
	// what they show comes from the API with the key typed in them.
	pages := gin.WrapH(web.Handler())
	e.GET("/ui/*file", pages)
	e.HEAD("/ui/*file", pages)
	e.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/ui/") })
	e.GET("/healthz", func(c *gin.Context) { respond(c, http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.ready)
	e.GET("/metrics", s.metricsToken, gin.WrapH(promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{})))

	e.Use(s.redisGate)
	webhooksAPI{s}.webhookRoutes(e)

	agents, tasks, streams := agentsAPI{s}, tasksAPI{s}, streamsAPI{s}
	planning, reporting := planningAPI{s}, reportingAPI{s}
	v1 := e.Group("/v1", s.authenticate, s.limitKey)
	staff := []string{config.RoleSupervisor, config.RolePlanner}
	v1.GET("/agents", allow(staff...), agents.listAgents)
	v1.POST("/agents", allow(config.RolePlanner), agents.createAgent)
	v1.PUT("/agents", allow(config.RolePlanner), agents.importAgents)
	v1.GET("/agents/:id", allow(append(staff, config.RoleAgent)...), ownAgent, agents.getAgent)
	v1.PUT("/agents/:id", allow(config.RolePlanner), agents.putAgent)
	v1.DELETE("/agents/:id", allow(config.RolePlanner), agents.deleteAgent)
	v1.PUT("/agents/:id/presence", allow(config.RoleSupervisor, config.RoleAgent), ownAgent, agents.putPresence)
	v1.GET("/agents/:id/stream", allow(config.RoleSupervisor, config.RoleAgent), ownAgent, streams.stream)

	v1.POST("/tasks", allow(config.RoleSupervisor), tasks.createTask)
	v1.GET("/tasks", allow(config.RoleSupervisor, config.RoleAgent), tasks.listTasks)
	v1.GET("/tasks/:id", allow(config.RoleSupervisor, config.RoleAgent), tasks.getTask)
	v1.POST("/tasks/:id/cancel", allow(config.RoleSupervisor), tasks.cancelTask)
	v1.POST("/tasks/:id/transfer", allow(config.RoleSupervisor, config.RoleAgent), s.ownTask, tasks.transferTask)
	v1.POST("/tasks/:id/complete", allow(config.RoleSupervisor, config.RoleAgent), tasks.completeTask)
	v1.POST("/tasks/:id/ready", allow(config.RoleSupervisor, config.RoleAgent), tasks.readyTask)
	v1.POST("/offers/:id/accept", allow(config.RoleSupervisor, config.RoleAgent), tasks.acceptOffer)
	v1.POST("/offers/:id/reject", allow(config.RoleSupervisor, config.RoleAgent), tasks.rejectOffer)
	v1.GET("/tasks/:id/messages", allow(config.RoleSupervisor, config.RoleAgent), tasks.listMessages)
	v1.POST("/tasks/:id/messages", allow(config.RoleSupervisor, config.RoleAgent), s.ownTask, tasks.postMessage)
	// Contacts and customers are personal data: supervisors (and the agent
	// a task is with) see them; planners work with figures. Agents see
	// their customer's last contacts in each offer; whole timelines are for
	// supervisors. The README's role table is the contract (TestRoleMatrix).
	v1.GET("/customers/:id/timeline", allow(config.RoleSupervisor), reporting.customerTimeline)
	v1.GET("/customers", allow(config.RoleSupervisor), reporting.findCustomer)
	v1.GET("/event-webhooks/:name/dead-letters", allow(), reporting.deadLetters)
	v1.POST("/event-webhooks/:name/dead-letters/replay", allow(), reporting.replayDeadLetters)
	v1.DELETE("/event-webhooks/:name/dead-letters", allow(), reporting.deleteDeadLetters)
	v1.GET("/queues", allow(staff...), reporting.listQueues)
	v1.GET("/queues/:id", allow(staff...), reporting.getQueue)
	v1.POST("/staffing", allow(staff...), planning.staffing)
	v1.PUT("/agents/:id/schedule", allow(config.RolePlanner), planning.putSchedule)
	v1.GET("/agents/:id/schedule", allow(append(staff, config.RoleAgent)...), ownAgent, planning.getSchedule)
	v1.GET("/adherence", allow(staff...), planning.adherence)
	v1.PUT("/schedules", allow(config.RolePlanner), planning.putSchedules)
	v1.GET("/stats", allow(staff...), reporting.stats)
	v1.GET("/reports/quality", allow(staff...), reporting.quality)
	v1.GET("/forecast", allow(staff...), planning.getForecast)
	v1.PUT("/forecast", allow(config.RolePlanner), planning.putForecast)
	v1.GET("/coverage", allow(staff...), planning.coverage)
	v1.POST("/simulations", allow(config.RolePlanner), planning.simulation)
	v1.GET("/jobs/:id", allow(staff...), planning.getJob)
	v1.GET("/jobs/:id/events", allow(staff...), planning.jobEvents)
	v1.DELETE("/jobs/:id", allow(config.RolePlanner), planning.cancelJob)
	return e
}

// strictQuery refuses a query string Go would read only in part: a pair
// with ";" or a malformed escape is dropped by url.Query, so a filter would
// be ignored without a word ("state=queued;x" listing every state).
func strictQuery(c *gin.Context) {
	if _, err := url.ParseQuery(c.Request.URL.RawQuery); err != nil {
		problem(c, http.StatusBadRequest, "the query string is malformed",
			validation.Error{Field: "query", Reason: err.Error() + " (escape ; as %3B and % as %25)"})
		return
	}
	c.Next()
}

// observe records the request's duration and logs failures.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	code := c.Writer.Status()
	if s.metrics != nil {
		s.metrics.HTTP.WithLabelValues(route, c.Request.Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
	}
	switch {
	case code == http.StatusServiceUnavailable:
		// Redis is away: the health monitor logs that once, not per request.
		s.log.Debug("request turned away", "method", c.Request.Method, "route", route, "err", c.Errors.String())
	case code >= 500:
		s.log.Error("request failed", "method", c.Request.Method, "route", route, "code", code, "err", c.Errors.String())
	}
}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error("panic in handler", "panic", r, "route", c.FullPath())
			problem(c, http.StatusInternalServerError, "internal error; see the service log")
		}
	}()
	c.Next()
}

// staffingBodyBytes is the body limit of POST /v1/staffing: a week of
// 15-minute intervals for 20 queues (13,440 intervals) is about 1.5 MB.
const staffingBodyBytes = 8 << 20

func (s *Server) limitBody(c *gin.Context) {
	limit := s.cfg.HTTP.MaxBodyBytes
	if c.FullPath() == "/v1/staffing" {
		limit = max(limit, staffingBodyBytes)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// metricsToken requires http.metrics_token on /metrics when it is set.
func (s *Server) metricsToken(c *gin.Context) {
	want := s.cfg.HTTP.MetricsToken
	got, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="switchboard-metrics"`)
		problem(c, http.StatusUnauthorized, "/metrics requires the metrics token: Authorization: Bearer <http.metrics_token>")
		return
	}
	c.Next()
}

// redisGate turns requests away at once while Redis is known to be down,
// rather than have each wait out its timeouts.
func (s *Server) redisGate(c *gin.Context) {
	if s.health != nil {
		if st := s.health.State(); !st.Up {
			// Details (addresses) stay in the log: the health monitor wrote them.
			unavailable(c, "the store (Redis) is unreachable since "+st.Since.UTC().Format(time.RFC3339)+"; retry shortly")
			return
		}
	}
	c.Next()
}

// ready answers within its own second: 503 at once while the health
// monitor knows Redis is down, else from one ping bounded by that second,
// with what the monitor knows (resets of the data).
func (s *Server) ready(c *gin.Context) {
	var st *health.State
	if s.health != nil {
		got := s.health.State()
		if !got.Up {
			unavailable(c, "redis is not reachable since "+got.Since.UTC().Format(time.RFC3339))
			return
		}
		st = &got
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := s.app.Ping(ctx); err != nil {
		s.log.Warn("readiness: redis did not answer", "err", err)
		unavailable(c, "redis is not reachable")
		return
	}
	out := gin.H{"status": "ready"}
	if st != nil {
		out["redis"] = st
	}
	respond(c, http.StatusOK, out)
}
