// Package metrics exports Switchboard's Prometheus metrics. Counters follow the
// events stream through a consumer group, so the replicas together count each
// transition once; live state (queue depth, oldest wait, presence) is read
// from Redis at scrape time, so every replica reports the same truth.
package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/queues"
	"switchboard/router"
	"switchboard/surveys"
)

// Metrics holds the metrics of one Switchboard instance.
type Metrics struct {
	tasks      *prometheus.CounterVec
	offers     *prometheus.CounterVec
	wait       *prometheus.HistogramVec
	scripts    *prometheus.HistogramVec
	HTTP       *prometheus.HistogramVec
	eventsRead prometheus.Counter

	// Webhooks counts provider requests by provider, kind and result.
	Webhooks *prometheus.CounterVec
	// SignatureFailures counts webhook requests refused for their signature.
	SignatureFailures *prometheus.CounterVec
	abandoned         *prometheus.HistogramVec
	messages          *prometheus.CounterVec
	sla               *prometheus.CounterVec
	escalations       *prometheus.CounterVec
	surveys           *prometheus.CounterVec
	surveyAnswers     *prometheus.CounterVec
	repeats           *prometheus.CounterVec
	handoffs          *prometheus.CounterVec
	redisResets       prometheus.Gauge
}

// New registers Switchboard's metrics with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_tasks_total",
			Help: "Task transitions by queue, channel and event (created, assigned, completed, canceled).",
		}, []string{"queue", "channel", "event"}),
		offers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_offers_total",
			Help: "Offers by outcome: created, accepted, rejected, timeout, rescinded.",
		}, []string{"outcome"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_task_wait_seconds",
			Help:    "Time from a task's creation to its acceptance by an agent.",
			Buckets: []float64{1, 5, 10, 20, 30, 60, 120, 300, 900, 1800, 3600, 7200, 14400, 86400},
		}, []string{"queue", "channel"}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_handoff_attempts_total",
			Help: "Attempts of provider hand-offs (kind: connect, send) by result: done, retry, failed (final), stale, error.",
		}, []string{"kind", "result"}),
		redisResets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_redis_resets",
			Help: "Times this replica found Redis without the workspace's data (restarted empty, failed over to an empty replica).",
		}),
		scripts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_routing_script_duration_seconds",
			Help:    "Duration of each routing script call, round trip included.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
		}, []string{"script"}),
		HTTP: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "HTTP request duration by route template, method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code"}),
		eventsRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_events_consumed_total",
			Help: "Events this instance read from the events stream for its counters.",
		}),
		Webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_requests_total",
			Help: "Provider webhook requests by provider, kind and result.",
		}, []string{"provider", "kind", "result"}),
		SignatureFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_signature_failures_total",
			Help: "Webhook requests refused because their signature did not match.",
		}, []string{"provider"}),
		abandoned: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_abandoned_wait_seconds",
			Help:    "How long customers waited before abandoning (count: abandoned contacts).",
			Buckets: []float64{5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"queue", "channel"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_total",
			Help: "Conversation messages by channel and direction (in: from customers, out: from agents).",
		}, []string{"channel", "direction"}),
	}
	m.sla = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_sla_breaches_total",
		Help: "SLA clocks that passed their target, by queue, channel and clock (first_response, next_reply).",
	}, []string{"queue", "channel", "clock"})
	m.surveys = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_surveys_total",
		Help: "Surveys by event: sent (asked), opted_out (the customer stopped surveys).",
	}, []string{"kind", "event"})
	m.surveyAnswers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_survey_answers_total",
		Help: "Survey answers by kind (csat, nps), bucket (csat: satisfied 4-5, neutral 3, dissatisfied 1-2; " +
			"nps: promoter 9-10, passive 7-8, detractor 0-6), queue and channel.",
	}, []string{"kind", "bucket", "queue", "channel"})
	m.repeats = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_repeat_contacts_total",
		Help: "Contacts of a customer whose previous contact was about the same skill and is open or ended within " +
			"quality.fcr_window: each marks a first contact not resolved (first-contact resolution's misses).",
	}, []string{"queue", "channel"})
	reg.MustRegister(m.surveys, m.surveyAnswers, m.repeats)
	m.escalations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_escalations_total",
		Help: "Escalation steps applied to waiting tasks.",
	}, []string{"queue", "channel"})
	reg.MustRegister(m.tasks, m.offers, m.wait, m.scripts, m.handoffs, m.redisResets, m.HTTP, m.eventsRead, m.Webhooks, m.SignatureFailures,
		m.abandoned, m.messages, m.sla, m.escalations)
	return m
}

// ObserveScript records one script call; pass it to queues.Store.ObserveScripts.
func (m *Metrics) ObserveScript(name string, d time.Duration) {
	m.scripts.WithLabelValues(name).Observe(d.Seconds())
}

// ObserveHandoff counts one attempt of a hand-off; pass it to handoff.Worker.
func (m *Metrics) ObserveHandoff(kind, result string) {
	m.handoffs.WithLabelValues(kind, result).Inc()
}

// ObserveRedis records the resets the health monitor found (the collector
// reports switchboard_redis_up); pass it to health.Monitor.
func (m *Metrics) ObserveRedis(_ bool, resets int) {
	m.redisResets.Set(float64(resets))
}

// Observe counts one event.
func (m *Metrics) Observe(e queues.Event) {
	m.eventsRead.Inc()
	q, ch := e.Fields["queue"], e.Fields["channel"]
	switch e.Type {
	case "task.created":
		m.tasks.WithLabelValues(q, ch, "created").Inc()
		if e.Fields["repeat_of"] != "" {
			m.repeats.WithLabelValues(q, ch).Inc()
		}
	case "task.assigned":
		m.tasks.WithLabelValues(q, ch, "assigned").Inc()
		m.offers.WithLabelValues("accepted").Inc()
		if ms, err := strconv.ParseInt(e.Fields["wait_ms"], 10, 64); err == nil {
			m.wait.WithLabelValues(q, ch).Observe(float64(ms) / 1000)
		}
	case "task.completed":
		m.tasks.WithLabelValues(q, ch, "completed").Inc()
	case "task.canceled":
		m.tasks.WithLabelValues(q, ch, "canceled").Inc()
		if e.Fields["reason"] == "abandoned" {
			if ms, err := strconv.ParseInt(e.Fields["wait_ms"], 10, 64); err == nil {
				m.abandoned.WithLabelValues(q, ch).Observe(float64(ms) / 1000)
			}
		}
	case "sla.breached":
		m.sla.WithLabelValues(q, ch, e.Fields["clock"]).Inc()
	case "task.escalated":
		m.escalations.WithLabelValues(q, ch).Inc()
	case "message.received":
		m.messages.WithLabelValues(ch, "in").Inc()
	case "message.sent":
		m.messages.WithLabelValues(ch, "out").Inc()
	case "offer.created":
		m.offers.WithLabelValues("created").Inc()
	case "offer.rejected":
		m.offers.WithLabelValues("rejected").Inc()
	case "offer.timeout":
		m.offers.WithLabelValues("timeout").Inc()
	case "offer.rescinded":
		m.offers.WithLabelValues("rescinded").Inc()
	case "survey.sent":
		m.surveys.WithLabelValues(e.Fields["kind"], "sent").Inc()
	case "survey.opted_out":
		m.surveys.WithLabelValues("", "opted_out").Inc()
	case "survey.answered":
		if n, err := strconv.Atoi(e.Fields["score"]); err == nil {
			m.surveyAnswers.WithLabelValues(e.Fields["kind"], surveys.Bucket(e.Fields["kind"], n), q, ch).Inc()
		}
	}
}

// Group is the consumer group the counters read the events stream through.
const Group = "metrics"

// Consumer feeds the events stream into Metrics.
type Consumer struct {
	Store    *queues.Store
	Metrics  *Metrics
	Name     string // this instance's consumer name, unique per replica
	Log      *slog.Logger
	Block    time.Duration
	MaxBatch int64
}

// Drain reads and counts events until none is waiting; it returns how many.
func (c *Consumer) Drain(ctx context.Context) (int, error) {
	return c.read(ctx, -1)
}

// orphanAge is how long an event read by another replica may stay
// unacknowledged before this one counts it: that replica has stopped.
const orphanAge = time.Minute

func (c *Consumer) read(ctx context.Context, block time.Duration) (int, error) {
	if err := c.Store.Outbox().EnsureGroup(ctx, Group); err != nil {
		return 0, err
	}
	total := 0
	for claim := true; ; claim = false {
		var evs []queues.Event
		var err error
		if claim {
			evs, err = c.Store.Outbox().Claim(ctx, Group, c.Name, orphanAge, cmp.Or(c.MaxBatch, 100))
		}
		if err == nil && len(evs) == 0 {
			evs, err = c.Store.Outbox().ReadGroup(ctx, Group, c.Name, cmp.Or(c.MaxBatch, 100), block)
		}
		if err != nil {
			return total, err
		}
		if len(evs) == 0 {
			return total, nil
		}
		ids := make([]string, len(evs))
		for i, e := range evs {
			c.Metrics.Observe(e)
			ids[i] = e.ID
		}
		if err := c.Store.Outbox().Ack(ctx, Group, ids...); err != nil {
			return total, err
		}
		total += len(evs)
	}
}

// Run counts events until ctx ends, blocking on the stream between batches.
func (c *Consumer) Run(ctx context.Context) error {
	block := c.Block
	if block == 0 {
		block = 2 * time.Second
	}
	for ctx.Err() == nil {
		if _, err := c.read(ctx, block); err != nil && ctx.Err() == nil {
			c.Log.Error("count events", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// Figures is where the collector reads live state: the router's queue views
// and the store's presence counts.
type Figures interface {
	Queues(ctx context.Context, only string) ([]router.QueueView, error)
	PresenceCounts(ctx context.Context) (map[string]int64, error)
	OutOfAdherence(ctx context.Context) (int, error)
}

// Collector reads live queue and presence figures from Redis at scrape time.
type Collector struct {
	figures Figures
	log     *slog.Logger

	waiting, oldest, avail, eligible, sl, agents, outOfAdherence, up *prometheus.Desc
}

// NewCollector returns a Collector over figures.
func NewCollector(figures Figures, log *slog.Logger) *Collector {
	qc := []string{"queue", "channel"}
	return &Collector{
		figures:  figures,
		log:      log,
		waiting:  prometheus.NewDesc("switchboard_queue_waiting_tasks", "Tasks waiting in a queue on a channel.", qc, nil),
		oldest:   prometheus.NewDesc("switchboard_queue_oldest_wait_seconds", "Age of the oldest waiting task (0 when none).", qc, nil),
		avail:    prometheus.NewDesc("switchboard_queue_available_agents", "Agents who could take a contact of this queue and channel now.", qc, nil),
		eligible: prometheus.NewDesc("switchboard_queue_eligible_agents", "Agents eligible for a queue, whatever their presence.", []string{"queue"}, nil),
		sl: prometheus.NewDesc("switchboard_queue_service_level_ratio",
			"Share of contacts answered within target: period today (queue's zone) or window (routing.service_level_window); "+
				"definition answered (abandons left out) or offered (abandons count as missed). Absent when undefined.",
			[]string{"queue", "period", "definition"}, nil),
		agents: prometheus.NewDesc("switchboard_agents", "Agents by presence.", []string{"presence"}, nil),
		outOfAdherence: prometheus.NewDesc("switchboard_agents_out_of_adherence",
			"Scheduled agents whose presence does not match their schedule now.", nil, nil),
		up: prometheus.NewDesc("switchboard_redis_up", "1 when the last scrape could read Redis.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.waiting, c.oldest, c.avail, c.eligible, c.sl, c.agents, c.outOfAdherence, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	qs, err := c.figures.Queues(ctx, "")
	var presence map[string]int64
	if err == nil {
		presence, err = c.figures.PresenceCounts(ctx)
	}
	if err != nil {
		c.log.Error("scrape queue figures", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, q := range qs {
		gauge(c.eligible, float64(q.EligibleAgents), q.ID)
		for name, s := range q.Channels {
			gauge(c.waiting, float64(s.Waiting), q.ID, name)
			gauge(c.avail, float64(s.AvailableAgents), q.ID, name)
			gauge(c.oldest, s.OldestWaitSecs, q.ID, name)
		}
		for period, p := range map[string]router.Period{"today": q.Today, "window": q.Window} {
			if p.ServiceLevel != nil {
				gauge(c.sl, *p.ServiceLevel, q.ID, period, "answered")
			}
			if p.ServiceLevelWithAbandons != nil {
				gauge(c.sl, *p.ServiceLevelWithAbandons, q.ID, period, "offered")
			}
		}
	}
	for p, n := range presence {
		gauge(c.agents, float64(n), p)
	}
	if out, err := c.figures.OutOfAdherence(ctx); err == nil {
		gauge(c.outOfAdherence, float64(out))
	}
}
