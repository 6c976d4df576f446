// Package redisconn opens Switchboard's Redis clients from one URL, for a
// single node, Redis Sentinel or Redis Cluster:
//
//	redis://[user:password@]host:6379/0
//	redis-sentinel://[user:password@]sentinel1:26379?master_name=mymaster&addr=sentinel2:26379&db=0
//	redis-cluster://[user:password@]node1:7000?addr=node2:7001&addr=node3:7002
//
// (rediss, rediss-sentinel and rediss-cluster for TLS). Every key of a
// workspace carries the {workspace} hash tag, so on Cluster a workspace
// lives in one slot and its scripts run on one node.
package redisconn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Settings are what every client of the service shares.
type Settings struct {
	PoolSize                                            int
	DialTimeout, ReadTimeout, WriteTimeout, PoolTimeout time.Duration
	// Name names the client's connections (CLIENT LIST).
	Name string
}

// Kind of deployment a URL names.
const (
	Single   = "single"
	Sentinel = "sentinel"
	Cluster  = "cluster"
)

// Target is what a URL names, for the log.
type Target struct {
	Kind  string
	Addrs []string
	// Master is the Sentinel master name; DB the database (not on Cluster).
	Master string
	DB     int
}

// Parse reads a URL without connecting.
func Parse(rawURL string) (Target, error) {
	kind, _, err := split(rawURL)
	if err != nil {
		return Target{}, err
	}
	o, err := universal(rawURL)
	if err != nil {
		return Target{}, err
	}
	return Target{Kind: kind, Addrs: o.Addrs, Master: o.MasterName, DB: o.DB}, nil
}

// split maps the deployment schemes onto the redis:// form go-redis parses.
func split(rawURL string) (kind, u string, err error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "", "", fmt.Errorf("%q is not a URL (redis://host:6379/0)", rawURL)
	}
	// go-redis reads an empty host as localhost:6379: say so instead of
	// connecting to whatever listens there.
	if u, err := url.Parse("redis://" + rest); err != nil || u.Hostname() == "" {
		return "", "", fmt.Errorf("%q names no host (redis://host:6379/0)", rawURL)
	}
	base, mode, _ := strings.Cut(scheme, "-")
	if base != "redis" && base != "rediss" {
		return "", "", fmt.Errorf("scheme %q: use redis, redis-sentinel or redis-cluster (rediss… for TLS)", scheme)
	}
	switch mode {
	case "":
		return Single, base + "://" + rest, nil
	case Sentinel, Cluster:
		return mode, base + "://" + rest, nil
	default:
		return "", "", fmt.Errorf("scheme %q: use redis, redis-sentinel or redis-cluster", scheme)
	}
}

// Open returns a client for the URL with the service's settings. Scripts
// are never resent after a timeout (a reply lost is not a script not run:
// a transition must not apply twice), so commands are not retried; Cluster
// redirects (MOVED, ASK) are followed, the command not having run.
func Open(rawURL string, s Settings) (redis.UniversalClient, error) {
	o, err := universal(rawURL)
	if err != nil {
		return nil, err
	}
	o.PoolSize, o.ClientName = s.PoolSize, s.Name
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = s.DialTimeout, s.ReadTimeout, s.WriteTimeout, s.PoolTimeout
	o.MaxRetries = -1
	// Deadlines of contexts bound commands too (/readyz's second, the
	// health check's), not only the read and write timeouts.
	o.ContextTimeoutEnabled = true
	// A refused dial is retried once, not five times: a Redis that is down
	// is reported in tens of milliseconds, not half a second.
	o.DialerRetries, o.DialerRetryTimeout = 2, 20*time.Millisecond
	// Pipelines share the pool (go-redis would add a pool of its own for
	// them), so the pool size bounds the connections.
	o.PipelinePoolSize = -1
	return redis.NewUniversalClient(o), nil
}

// universal maps a URL onto go-redis's options for its kind.
func universal(rawURL string) (*redis.UniversalOptions, error) {
	kind, u, err := split(rawURL)
	if err != nil {
		return nil, err
	}
	switch kind {
	case Sentinel:
		o, err := redis.ParseFailoverURL(u)
		if err != nil {
			return nil, err
		}
		if o.MasterName == "" {
			return nil, errors.New("a sentinel URL needs master_name=")
		}
		return &redis.UniversalOptions{Addrs: o.SentinelAddrs, MasterName: o.MasterName, DB: o.DB,
			Username: o.Username, Password: o.Password, SentinelUsername: o.SentinelUsername,
			SentinelPassword: o.SentinelPassword, TLSConfig: o.TLSConfig}, nil
	case Cluster:
		o, err := redis.ParseClusterURL(u)
		if err != nil {
			return nil, err
		}
		return &redis.UniversalOptions{Addrs: o.Addrs, IsClusterMode: true, Username: o.Username,
			Password: o.Password, TLSConfig: o.TLSConfig}, nil
	default:
		o, err := redis.ParseURL(u)
		if err != nil {
			return nil, err
		}
		return &redis.UniversalOptions{Addrs: []string{o.Addr}, DB: o.DB, Username: o.Username,
			Password: o.Password, TLSConfig: o.TLSConfig}, nil
	}
}
