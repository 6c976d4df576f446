package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/loadtest"
)

// loadTest drives running replicas like a contact center: agents on event
// streams taking contacts that arrive at a set rate (see package loadtest).
func loadTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("loadtest", stderr)
	urls := fs.String("url", "http://localhost:8080", "replicas' base URLs, comma-separated")
	key := fs.String("key", "sb_admin_dev", "API key with the admin role")
	agents := fs.Int("agents", 1000, "agents, each with its event stream open")
	rate := fs.Float64("rate", 100, "contacts per second")
	duration := fs.Duration("duration", 60*time.Second, "how long contacts arrive")
	hold := fs.Duration("hold", 2*time.Second, "how long an agent keeps a contact")
	channel := fs.String("channel", "chat", "channel of the contacts")
	skill := fs.String("skill", "support", "skill of the contacts")
	lang := fs.String("language", "en", "language of the contacts")
	prefix := fs.String("prefix", "lt", "agent id prefix")
	connect := fs.Int("connect", 200, "streams opened at once")
	redisURL := fs.String("redis", os.Getenv("REDIS_URL"), "Redis the replicas use, read for its CPU time and clients (empty: skip)")
	keep := fs.Bool("keep", false, "keep the agents afterwards")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	o := loadtest.Options{URLs: strings.Split(*urls, ","), Key: *key, Agents: *agents, Rate: *rate, Duration: *duration,
		Hold: *hold, Channel: *channel, Skill: *skill, Language: *lang, Prefix: *prefix, Connect: *connect,
		Cleanup: !*keep, Log: stderr}
	if *agents < 1 || *rate <= 0 || *duration <= 0 || *hold < 0 {
		fmt.Fprintln(stderr, "loadtest: -agents, -rate and -duration must be positive")
		return errUsage
	}
	if *redisURL != "" {
		opt, err := redis.ParseURL(*redisURL)
		if err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		o.Redis = redisProbe{rdb}
	}
	rep, err := loadtest.Run(ctx, o)
	if err != nil {
		return err
	}
	rep.Print(stdout)
	return nil
}

type redisProbe struct{ rdb *redis.Client }

// CPUUsec is the CPU time Redis has used (INFO cpu: used_cpu_sys +
// used_cpu_user), in µs. Command statistics would count the commands a
// script calls twice (in the script and on their own).
func (p redisProbe) CPUUsec(ctx context.Context) (int64, error) {
	info, err := p.rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var total float64
	for line := range strings.SplitSeq(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return int64(total * 1e6), nil
}

// Clients counts connections by client name (replicas name theirs
// switchboard-<host>-<pid>-api and -streams).
func (p redisProbe) Clients(ctx context.Context) (map[string]int, error) {
	list, err := p.rdb.ClientList(ctx).Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(list), "\n") {
		name := "(unnamed)"
		for f := range strings.FieldsSeq(line) {
			if v, ok := strings.CutPrefix(f, "name="); ok && v != "" {
				name = v
			}
		}
		out[name]++
	}
	return out, nil
}
