package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
	"switchboard/loadtest"
	"switchboard/queues"
)

// replica is one switchboard process of the chaos run.
type replica struct {
	t    *testing.T
	bin  string
	env  []string
	addr string
	log  *os.File
	cmd  *exec.Cmd
}

func (r *replica) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "serve")
	r.cmd.Env = append(os.Environ(), append(r.env, "SWITCHBOARD_LISTEN="+r.addr)...)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for range 300 {
		if res, err := http.Get("http://" + r.addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("replica %s never became ready", r.addr)
}

func (r *replica) kill() {
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_ = r.cmd.Wait()
}

func (r *replica) stop() {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	_ = r.cmd.Wait()
}

// The chaos run: two replicas serve agents on streams and 2,000 contacts;
// one replica is killed with SIGKILL and started again, and Redis (with
// AOF) is restarted once. Afterwards every contact is accounted for, no
// task was ever offered to two agents or held by one beyond capacity, and
// every timer fired once. Run it with make chaos (SWITCHBOARD_CHAOS=1).
func TestChaos(t *testing.T) {
	if os.Getenv("SWITCHBOARD_CHAOS") == "" {
		t.Skip("the chaos run takes about two minutes: make chaos")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "switchboard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always", "--dir", dir)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	store := queues.New(rdb, "loadtest", queues.Settings{EventsLength: 1000000})
	// An audit group that never acknowledges: the stream keeps the whole run.
	if err := store.Outbox().EnsureGroupFrom(ctx, "chaos-audit", "0"); err != nil {
		t.Fatal(err)
	}

	env := []string{"REDIS_URL=redis://" + srv.Addr + "/0", "SWITCHBOARD_CONFIG=../../examples/loadtest.yaml",
		"SWITCHBOARD_LOG_LEVEL=warn"}
	var reps []*replica
	for i := range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		f, err := os.Create(filepath.Join(dir, "replica-"+strconv.Itoa(i)+".log"))
		if err != nil {
			t.Fatal(err)
		}
		r := &replica{t: t, bin: bin, env: env, addr: addr, log: f}
		r.start()
		defer r.stop()
		reps = append(reps, r)
	}

	// Chaos, on a schedule, while the load runs.
	chaos := make(chan string, 4)
	go func() {
		time.Sleep(15 * time.Second)
		reps[1].kill()
		chaos <- "replica 1 killed (SIGKILL)"
		time.Sleep(3 * time.Second)
		reps[1].start()
		chaos <- "replica 1 started again"
		time.Sleep(12 * time.Second)
		srv.Restart()
		chaos <- "redis restarted (AOF)"
		close(chaos)
	}()
	rep, err := loadtest.Run(ctx, loadtest.Options{URLs: []string{"http://" + reps[0].addr, "http://" + reps[1].addr},
		Key: "sb_admin_dev", Agents: 40, Rate: 40, Duration: 52 * time.Second, Hold: 500 * time.Millisecond,
		Channel: "chat", Skill: "support", Language: "en", Prefix: "cx", Connect: 20, Log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	for c := range chaos {
		t.Log(c)
	}
	t.Logf("load: %d contacts created, %d offers, %d accepted, %d completed, %d unfinished, errors %v",
		rep.Contacts, rep.Offers, rep.Accepted, rep.Completed, rep.Unfinished, rep.Errors)
	if rep.Contacts < 2000 {
		t.Fatalf("only %d contacts were created", rep.Contacts)
	}
	audit(t, store, rdb, rep.Contacts)
}

// testWriter sends the load generator's lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// audit replays the events stream and reads every task and agent.
func audit(t *testing.T, store *queues.Store, rdb *redis.Client, created int64) {
	t.Helper()
	ctx := context.Background()
	type holder struct{ agent string }
	held := map[string]*holder{}
	load := map[string]int{}
	outcomes := map[string]int{} // per offer
	sla := map[string]int{}      // per task|clock|kind
	ended := map[string]string{}
	var violations []string
	fail := func(format string, a ...any) {
		if len(violations) < 20 {
			violations = append(violations, fmt.Sprintf(format, a...))
		}
	}
	after, events := "0", 0
	for {
		evs, err := store.Outbox().Events(ctx, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			after = e.ID
			events++
			task, agent, offer := e.Fields["task"], e.Fields["agent"], e.Fields["offer"]
			switch e.Type {
			case "offer.created":
				if h := held[task]; h != nil {
					fail("task %s offered to %s while %s holds it", task, agent, h.agent)
				}
				held[task] = &holder{agent}
				if load[agent]++; load[agent] > 1 {
					fail("agent %s above capacity: %d chats", agent, load[agent])
				}
			case "offer.rejected", "offer.timeout", "offer.rescinded", "task.assigned":
				if outcomes[offer]++; outcomes[offer] > 1 {
					fail("offer %s has %d outcomes", offer, outcomes[offer])
				}
				if e.Type != "task.assigned" {
					if h := held[task]; h != nil && h.agent == agent {
						load[agent]--
						delete(held, task)
					}
				}
			case "task.completed", "task.canceled":
				if ended[task] != "" {
					fail("task %s ended twice", task)
				}
				ended[task] = e.Type
				if h := held[task]; h != nil {
					load[h.agent]--
					delete(held, task)
				}
			case "sla.warning", "sla.breached":
				k := task + "|" + e.Fields["clock"] + "|" + e.Type
				if sla[k]++; sla[k] > 1 {
					fail("%s fired %d times for %s", e.Type, sla[k], task)
				}
			}
		}
	}
	// Every task as stored.
	states := map[string]int{}
	agentLoad := map[string]int{}
	var cursor uint64
	tasks := 0
	for {
		keys, next, err := rdb.Scan(ctx, cursor, queues.Prefix("loadtest")+"task:*", 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			id := strings.TrimPrefix(k, queues.Prefix("loadtest")+"task:")
			if strings.Contains(id, ":") {
				continue
			}
			tk, err := store.GetTask(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tasks++
			states[tk.State]++
			switch tk.State {
			case queues.Completed:
				if ended[id] != "task.completed" {
					fail("task %s completed without its event", id)
				}
			case queues.Canceled:
				if tk.Reason == "" {
					fail("task %s canceled without a reason", id)
				}
			case queues.Reserved, queues.Assigned, queues.Wrapping:
				agentLoad[tk.Agent]++
			}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	agents, err := store.ListAgents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.Load["chat"] != agentLoad[a.ID] {
			fail("agent %s load %d, but holds %d tasks", a.ID, a.Load["chat"], agentLoad[a.ID])
		}
		if a.Load["chat"] > 1 {
			fail("agent %s above capacity: %d", a.ID, a.Load["chat"])
		}
	}
	t.Logf("audit: %d events, %d tasks (%v), %d offers with one outcome each, %d SLA timers fired",
		events, tasks, states, len(outcomes), len(sla))
	if int64(tasks) < created {
		fail("%d tasks stored, %d created", tasks, created)
	}
	for _, v := range violations {
		t.Error(v)
	}
}
