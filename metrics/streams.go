package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Hub is what the streams collector reads of a replica's stream hub.
type Hub interface {
	Connections() int64
	Kicked() int64
	Subscribed() bool
}

// PoolStater is a Redis client with a connection pool.
type PoolStater interface {
	PoolStats() *redis.PoolStats
}

// StreamsCollector reports this replica's agent streams and Redis pools at
// scrape time: these are the replica's own, not shared state.
type StreamsCollector struct {
	hub   Hub
	pools map[string]PoolStater

	conns, kicked, subscribed, poolConns, poolIdle, poolWaits, poolTimeouts *prometheus.Desc
}

// NewStreamsCollector returns a collector of hub and the named pools.
func NewStreamsCollector(hub Hub, pools map[string]PoolStater) *StreamsCollector {
	pool := []string{"pool"}
	return &StreamsCollector{hub: hub, pools: pools,
		conns: prometheus.NewDesc("switchboard_streams_connections",
			"Agent event streams open on this replica.", nil, nil),
		kicked: prometheus.NewDesc("switchboard_streams_dropped_slow_total",
			"Agent event streams this replica ended because the client fell too far behind.", nil, nil),
		subscribed: prometheus.NewDesc("switchboard_streams_feed_up",
			"1 when this replica's subscription to the agent feed is live.", nil, nil),
		poolConns: prometheus.NewDesc("switchboard_redis_pool_connections",
			"Connections this replica holds through a Redis client (pooled, pipeline and Pub/Sub).", pool, nil),
		poolIdle: prometheus.NewDesc("switchboard_redis_pool_idle_connections",
			"Idle connections in a Redis pool.", pool, nil),
		poolWaits: prometheus.NewDesc("switchboard_redis_pool_waits_total",
			"Commands that waited for a free connection of a Redis pool.", pool, nil),
		poolTimeouts: prometheus.NewDesc("switchboard_redis_pool_timeouts_total",
			"Commands that found no free connection of a Redis pool in time.", pool, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StreamsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.kicked, c.subscribed, c.poolConns, c.poolIdle, c.poolWaits, c.poolTimeouts} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *StreamsCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(c.hub.Connections()))
	ch <- prometheus.MustNewConstMetric(c.kicked, prometheus.CounterValue, float64(c.hub.Kicked()))
	up := 0.0
	if c.hub.Subscribed() {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.subscribed, prometheus.GaugeValue, up)
	for name, p := range c.pools {
		st := p.PoolStats()
		conns := st.TotalConns + st.PubSubStats.Active
		if st.PipelineStats != nil {
			conns += st.PipelineStats.TotalConns
		}
		ch <- prometheus.MustNewConstMetric(c.poolConns, prometheus.GaugeValue, float64(conns), name)
		ch <- prometheus.MustNewConstMetric(c.poolIdle, prometheus.GaugeValue, float64(st.IdleConns), name)
		ch <- prometheus.MustNewConstMetric(c.poolWaits, prometheus.CounterValue, float64(st.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(c.poolTimeouts, prometheus.CounterValue, float64(st.Timeouts), name)
	}
}
