// Package loadtest drives running Switchboard replicas the way a contact
// center does: agents keep their event streams open, become available,
// accept each offer, hold it, complete it and say ready, while contacts
// arrive at a set rate. It reports offer delivery and API latencies, errors,
// dropped streams, and what each replica and Redis spent.
package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe a run.
type Options struct {
	// URLs are the replicas' base URLs; agents and contacts are spread
	// across them round robin.
	URLs []string
	// Key is an API key with the admin role (agents are created, and act
	// through it).
	Key      string
	Agents   int
	Rate     float64       // contacts per second
	Duration time.Duration // how long contacts arrive
	Hold     time.Duration // how long an agent keeps a contact before completing it
	Channel  string
	Skill    string
	Language string
	// Prefix names the agents (<prefix>00001, ...).
	Prefix string
	// Connect is how many streams are being opened at once.
	Connect int
	// Redis, when set, is read for its CPU time and client connections
	// before and after the run (see RedisProbe).
	Redis RedisProbe
	// Cleanup deletes the agents afterwards.
	Cleanup bool
	Log     io.Writer
}

// RedisProbe reads what Redis spent; nil skips it.
type RedisProbe interface {
	// CPUUsec is the CPU time Redis has used, in µs.
	CPUUsec(ctx context.Context) (int64, error)
	// Clients counts client connections by name.
	Clients(ctx context.Context) (map[string]int, error)
}

// Report is what a run measured.
type Report struct {
	Agents, StreamsOpen          int
	ConnectTime                  time.Duration
	Contacts, Offers             int64
	Accepted, Completed          int64
	Unfinished                   int64 // created, not completed when the drain time ran out
	OfferLatency                 Summary
	APILatency                   map[string]Summary
	Errors                       map[string]int64
	DroppedStreams, Disconnects  int64
	HistoryLost                  int64
	ReadyzFailures, ReadyzChecks int64
	Replicas                     []ReplicaReport
	RedisUsecPerContact          float64
	RedisClients                 map[string]int
}

// ReplicaReport is one replica's figures, read from its /metrics.
type ReplicaReport struct {
	URL                          string
	RSSBefore, RSSAfter, RSSPeak float64
	Streams                      float64
	MaxRedisConns                float64
	PoolTimeouts                 float64
	AgentsConnected              int
}

// Summary is a latency distribution.
type Summary struct {
	N             int
	P50, P99, Max time.Duration
}

func summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return Summary{N: len(d), P50: q(0.50), P99: q(0.99), Max: d[len(d)-1]}
}

func (s Summary) String() string {
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s", s.N, ms(s.P50), ms(s.P99), ms(s.Max))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

type run struct {
	o      Options
	api    *http.Client
	stream *http.Client

	mu       sync.Mutex
	offerLat []time.Duration
	apiLat   map[string][]time.Duration
	errors   map[string]int64

	contacts, offers, accepted, completed atomic.Int64
	dropped, disconnects, lost            atomic.Int64
	readyFail, readyChecks                atomic.Int64
	measuring                             atomic.Bool
	// finished holds the contacts completed, by task id: an offer that
	// fails (409) is offered again and completed later.
	finished  sync.Map
	nfinished atomic.Int64
}

// Run performs the load test and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	if len(o.URLs) == 0 || o.Agents < 1 || o.Rate <= 0 {
		return nil, fmt.Errorf("loadtest: need URLs, agents and a rate")
	}
	o.Connect = max(o.Connect, 1)
	if o.Log == nil {
		o.Log = io.Discard
	}
	r := &run{o: o,
		api: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 1000, MaxIdleConnsPerHost: 500, IdleConnTimeout: time.Minute}},
		stream: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
		apiLat: map[string][]time.Duration{}, errors: map[string]int64{},
	}
	rep := &Report{Agents: o.Agents, APILatency: map[string]Summary{}}
	ids := make([]string, o.Agents)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%05d", o.Prefix, i)
	}
	if err := r.createAgents(ctx, ids); err != nil {
		return nil, err
	}
	if o.Cleanup {
		defer r.cleanup(context.WithoutCancel(ctx), ids)
	}
	for _, u := range o.URLs {
		rss, _ := r.metric(ctx, u, "process_resident_memory_bytes")
		rep.Replicas = append(rep.Replicas, ReplicaReport{URL: u, RSSBefore: rss, RSSPeak: rss})
	}

	// Streams: every agent connects to its replica, then becomes available.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	start := time.Now()
	ready := make(chan struct{}, o.Agents)
	sem := make(chan struct{}, o.Connect)
	var streams sync.WaitGroup
	for i, id := range ids {
		base := o.URLs[i%len(o.URLs)]
		rep.Replicas[i%len(o.URLs)].AgentsConnected++
		sem <- struct{}{}
		streams.Go(func() { r.agent(runCtx, base, id, ready, sem) })
	}
	for range ids {
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	rep.StreamsOpen = o.Agents
	rep.ConnectTime = time.Since(start)
	fmt.Fprintf(o.Log, "%d streams open in %s; agents available\n", o.Agents, rep.ConnectTime.Round(time.Millisecond))

	// Connected and idle: what the streams cost each replica.
	for i := range rep.Replicas {
		rss, _ := r.metric(ctx, rep.Replicas[i].URL, "process_resident_memory_bytes")
		rep.Replicas[i].RSSAfter = rss
	}
	var usec0 int64
	if o.Redis != nil {
		usec0, _ = o.Redis.CPUUsec(ctx)
	}

	// Contacts arrive; readiness and metrics are watched throughout.
	r.measuring.Store(true)
	watchCtx, stopWatch := context.WithCancel(runCtx)
	var watch sync.WaitGroup
	watch.Go(func() { r.watch(watchCtx, rep) })
	r.arrivals(runCtx)
	// Every contact created is offered, held and completed, or the drain
	// time runs out (the rest are reported unfinished).
	drain := time.Now().Add(o.Hold + 30*time.Second)
	for r.nfinished.Load() < r.contacts.Load() && time.Now().Before(drain) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	stopWatch()
	watch.Wait()
	r.measuring.Store(false)

	if o.Redis != nil {
		if usec1, err := o.Redis.CPUUsec(ctx); err == nil && r.contacts.Load() > 0 {
			rep.RedisUsecPerContact = float64(usec1-usec0) / float64(r.contacts.Load())
		}
		rep.RedisClients, _ = o.Redis.Clients(ctx)
	}
	stop()
	streams.Wait()

	r.mu.Lock()
	rep.OfferLatency = summarize(r.offerLat)
	for k, v := range r.apiLat {
		rep.APILatency[k] = summarize(v)
	}
	rep.Errors = r.errors
	r.mu.Unlock()
	rep.Contacts, rep.Offers = r.contacts.Load(), r.offers.Load()
	rep.Accepted, rep.Completed = r.accepted.Load(), r.completed.Load()
	rep.Unfinished = rep.Contacts - r.nfinished.Load()
	rep.DroppedStreams, rep.Disconnects, rep.HistoryLost = r.dropped.Load(), r.disconnects.Load(), r.lost.Load()
	rep.ReadyzFailures, rep.ReadyzChecks = r.readyFail.Load(), r.readyChecks.Load()
	return rep, nil
}

func (r *run) createAgents(ctx context.Context, ids []string) error {
	for chunk := range slices.Chunk(ids, 1000) {
		list := make([]map[string]any, 0, len(chunk))
		for _, id := range chunk {
			list = append(list, map[string]any{"id": id, "name": "Load " + id, "time_zone": "UTC",
				"languages": []string{r.o.Language}, "skills": map[string]int{r.o.Skill: 3},
				"capacity": map[string]int{r.o.Channel: 1}})
		}
		body, _ := json.Marshal(map[string]any{"agents": list})
		if code, b, err := r.call(ctx, r.o.URLs[0], "PUT", "/v1/agents", "import", body); err != nil || code != http.StatusOK {
			return fmt.Errorf("create agents: %d %s %v", code, b, err)
		}
	}
	return nil
}

func (r *run) cleanup(ctx context.Context, ids []string) {
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i, id := range ids {
		base := r.o.URLs[i%len(r.o.URLs)]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_, _, _ = r.call(ctx, base, "PUT", "/v1/agents/"+id+"/presence", "", []byte(`{"presence":"offline"}`))
			_, _, _ = r.call(ctx, base, "DELETE", "/v1/agents/"+id, "", nil)
		})
	}
	wg.Wait()
}

// call sends one API request; route names it in the latency report ("" to
// leave it out). Errors are counted by status while measuring.
func (r *run) call(ctx context.Context, base, method, path, route string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.o.Key)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	res, err := r.api.Do(req)
	if err != nil {
		r.fail(route, "transport")
		return 0, nil, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if route != "" && r.measuring.Load() {
		r.mu.Lock()
		r.apiLat[route] = append(r.apiLat[route], time.Since(t0))
		r.mu.Unlock()
	}
	if res.StatusCode >= 400 {
		r.fail(route, strconv.Itoa(res.StatusCode))
	}
	return res.StatusCode, b, nil
}

func (r *run) fail(route, what string) {
	if !r.measuring.Load() {
		return
	}
	r.mu.Lock()
	r.errors[route+" "+what]++
	r.mu.Unlock()
}

// agent keeps one agent's stream open (resuming with Last-Event-ID when it
// drops) and works every offer it gets.
func (r *run) agent(ctx context.Context, base, id string, ready chan<- struct{}, sem chan struct{}) {
	last := ""
	first := true
	for ctx.Err() == nil {
		err := r.follow(ctx, base, id, &last, func() {
			if first {
				first = false
				_, _, _ = r.call(ctx, base, "PUT", "/v1/agents/"+id+"/presence", "", []byte(`{"presence":"available"}`))
				<-sem
				ready <- struct{}{}
			}
		})
		if ctx.Err() != nil {
			return
		}
		if r.measuring.Load() {
			r.dropped.Add(1)
		}
		if first {
			fmt.Fprintf(r.o.Log, "stream %s: %v\n", id, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(100+rand.IntN(900)) * time.Millisecond):
		}
	}
}

type offerEvent struct {
	OfferID    string `json:"offer_id"`
	TaskID     string `json:"task_id"`
	Attributes struct {
		Sent int64 `json:"lt_sent"`
	} `json:"attributes"`
}

// follow reads one connection of the stream until it ends.
func (r *run) follow(ctx context.Context, base, id string, last *string, opened func()) error {
	// The stream is the agent's desktop: its presence follows it, as with
	// the agent's own key.
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/agents/"+id+"/stream?desktop=true", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.o.Key)
	if *last != "" {
		req.Header.Set("Last-Event-ID", *last)
	}
	res, err := r.stream.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	br := bufio.NewReaderSize(res.Body, 4096)
	var evID, evType string
	var data []byte
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if evType != "" {
				r.event(ctx, base, evType, data)
				if evType == "snapshot" {
					opened()
				}
			}
			if evID != "" {
				*last = evID
			}
			evID, evType, data = "", "", data[:0]
		case bytes.HasPrefix(line, []byte("id: ")):
			evID = string(line[4:])
		case bytes.HasPrefix(line, []byte("event: ")):
			evType = string(line[7:])
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[6:]...)
		}
	}
}

func (r *run) event(ctx context.Context, base, typ string, data []byte) {
	switch typ {
	case "offer":
		now := time.Now()
		var o offerEvent
		if err := json.Unmarshal(data, &o); err != nil || o.Attributes.Sent == 0 {
			return // not a contact of this run
		}
		r.offers.Add(1)
		r.mu.Lock()
		r.offerLat = append(r.offerLat, now.Sub(time.Unix(0, o.Attributes.Sent)))
		r.mu.Unlock()
		go r.work(ctx, base, o)
	case "disconnect":
		r.disconnects.Add(1)
	case "history.lost":
		r.lost.Add(1)
	}
}

// work accepts an offer, holds the contact, completes it and says ready.
func (r *run) work(ctx context.Context, base string, o offerEvent) {
	code, _, err := r.call(ctx, base, "POST", "/v1/offers/"+o.OfferID+"/accept", "accept", nil)
	if err != nil || code != http.StatusOK {
		return
	}
	r.accepted.Add(1)
	select {
	case <-ctx.Done():
		return
	case <-time.After(r.o.Hold):
	}
	code, _, err = r.call(ctx, base, "POST", "/v1/tasks/"+o.TaskID+"/complete", "complete", []byte(`{"disposition":"resolved"}`))
	if err != nil || code != http.StatusOK {
		return
	}
	r.completed.Add(1)
	if _, dup := r.finished.LoadOrStore(o.TaskID, true); !dup {
		r.nfinished.Add(1)
	}
	_, _, _ = r.call(ctx, base, "POST", "/v1/tasks/"+o.TaskID+"/ready", "ready", nil)
}

// arrivals creates contacts at the set rate for the set duration, spread
// over the replicas.
func (r *run) arrivals(ctx context.Context) {
	interval := time.Duration(float64(time.Second) / r.o.Rate)
	end := time.Now().Add(r.o.Duration)
	next := time.Now()
	var creating sync.WaitGroup
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(interval)
		base := r.o.URLs[i%len(r.o.URLs)]
		creating.Go(func() {
			body := fmt.Sprintf(`{"channel":%q,"skill":%q,"language":%q,"attributes":{"lt_sent":%d}}`,
				r.o.Channel, r.o.Skill, r.o.Language, time.Now().UnixNano())
			code, _, err := r.call(ctx, base, "POST", "/v1/tasks", "create", []byte(body))
			if err == nil && code == http.StatusCreated {
				r.contacts.Add(1)
			}
		})
	}
	creating.Wait()
}

// watch polls each replica's /readyz every second and its /metrics every
// five while contacts arrive.
func (r *run) watch(ctx context.Context, rep *Report) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for i := range rep.Replicas {
			rr := &rep.Replicas[i]
			r.readyChecks.Add(1)
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			req, _ := http.NewRequestWithContext(rctx, "GET", rr.URL+"/readyz", nil)
			res, err := r.api.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				if ctx.Err() == nil {
					r.readyFail.Add(1)
				}
			}
			if err == nil {
				res.Body.Close()
			}
			cancel()
			if n%5 == 0 {
				m, err := r.metrics(ctx, rr.URL)
				if err != nil {
					continue
				}
				rr.RSSPeak = max(rr.RSSPeak, m["process_resident_memory_bytes"])
				rr.Streams = m["switchboard_streams_connections"]
				rr.MaxRedisConns = max(rr.MaxRedisConns, m[`switchboard_redis_pool_connections{pool="api"}`]+
					m[`switchboard_redis_pool_connections{pool="streams"}`])
				rr.PoolTimeouts = m[`switchboard_redis_pool_timeouts_total{pool="api"}`] +
					m[`switchboard_redis_pool_timeouts_total{pool="streams"}`]
			}
		}
	}
}

func (r *run) metric(ctx context.Context, base, name string) (float64, error) {
	m, err := r.metrics(ctx, base)
	return m[name], err
}

// metrics reads a replica's /metrics as "name{labels}" -> value.
func (r *run) metrics(ctx context.Context, base string) (map[string]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	res, err := r.api.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// Print writes the report for people.
func (rep *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "agents            %d (streams open in %s)\n", rep.Agents, rep.ConnectTime.Round(time.Millisecond))
	fmt.Fprintf(w, "contacts          %d created, %d offers, %d accepted, %d completed, %d unfinished\n",
		rep.Contacts, rep.Offers, rep.Accepted, rep.Completed, rep.Unfinished)
	fmt.Fprintf(w, "offer delivery    %s  (task created -> offer received on the agent's stream)\n", rep.OfferLatency)
	for _, k := range slices.Sorted(maps.Keys(rep.APILatency)) {
		fmt.Fprintf(w, "api %-13s %s\n", k, rep.APILatency[k])
	}
	fmt.Fprintf(w, "errors            %v\n", rep.Errors)
	fmt.Fprintf(w, "streams           %d dropped, %d disconnected by the server, %d history lost\n", rep.DroppedStreams, rep.Disconnects, rep.HistoryLost)
	fmt.Fprintf(w, "/readyz           %d of %d checks failed\n", rep.ReadyzFailures, rep.ReadyzChecks)
	for _, rr := range rep.Replicas {
		per := 0.0
		if rr.AgentsConnected > 0 {
			per = (rr.RSSAfter - rr.RSSBefore) / float64(rr.AgentsConnected) / 1024
		}
		fmt.Fprintf(w, "replica %s: %d agents; RSS %.0f MB before streams, %.0f MB connected (%.1f KB per agent), %.0f MB peak; pooled Redis connections max %.0f, pool timeouts %.0f\n",
			rr.URL, rr.AgentsConnected, rr.RSSBefore/1e6, rr.RSSAfter/1e6, per, rr.RSSPeak/1e6, rr.MaxRedisConns, rr.PoolTimeouts)
	}
	if rep.RedisClients != nil {
		fmt.Fprintf(w, "redis clients     %v (by name, at the end)\n", rep.RedisClients)
		fmt.Fprintf(w, "redis CPU         %.0f µs per contact (INFO cpu over the run, everything Redis did included)\n", rep.RedisUsecPerContact)
	}
}
