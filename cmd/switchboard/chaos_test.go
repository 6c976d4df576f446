package main

import (
	"context"
	"encoding/json"
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

	conf := filepath.Join(dir, "chaos.yaml")
	if err := os.WriteFile(conf, []byte(chaosConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"REDIS_URL=redis://" + srv.Addr + "/0", "SWITCHBOARD_CONFIG=" + conf, "SWITCHBOARD_LOG_LEVEL=warn",
		"SWITCHBOARD_DEVELOPMENT=1"}
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
	// Contacts nobody can take (no agent has billing): their SLA timers
	// warn and breach while replicas and Redis go down and come back.
	unanswered := make(chan []string, 1)
	go func() {
		var ids []string
		for i := range 300 {
			body := `{"channel":"chat","queue":"billing-en"}`
			req, _ := http.NewRequest("POST", "http://"+reps[0].addr+"/v1/tasks", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer sb_admin_dev")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "chaos-billing-"+strconv.Itoa(i))
			if res, err := http.DefaultClient.Do(req); err == nil {
				var tk struct {
					ID string `json:"id"`
				}
				_ = json.NewDecoder(res.Body).Decode(&tk)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					ids = append(ids, tk.ID)
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		unanswered <- ids
	}()
	rep, err := loadtest.Run(ctx, loadtest.Options{URLs: []string{"http://" + reps[0].addr, "http://" + reps[1].addr},
		Key: "sb_admin_dev", Agents: 40, Rate: 45, Duration: 52 * time.Second, Hold: 500 * time.Millisecond,
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
	billing := <-unanswered
	// The last of them breaches 20s after it was created.
	time.Sleep(22 * time.Second)
	audit(t, store, rdb, rep.Contacts, billing)
}

// chaosConfig is the load test's chat queue, plus a billing queue no agent
// serves, both with a 20s first-response target (warning at 80 %).
const chaosConfig = `
workspace: loadtest
log_level: warn
channels:
  chat:
    capacity: 1
    offer_timeout: 30s
    wrap_up: 15s
    sla: {first_response: 20s, next_reply: 60s, warning: 0.8}
skills: [support, billing]
languages: [en]
queues:
  - {id: support-en, skill: support, language: en}
  - {id: billing-en, skill: billing, language: en}
rate_limits:
  webhook_account_per_second: 200
  webhook_customer_per_minute: 60
  api_key_per_second: 100000
auth:
  api_keys:
    - name: chaos-admin     # key: sb_admin_dev
      sha256: 4054886f4d50e64954282809fdb10d2194ee8e2d325e7945599f95261f580d3a
      role: admin
`

// testWriter sends the load generator's lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// audit replays the events stream and reads every task and agent.
func audit(t *testing.T, store *queues.Store, rdb *redis.Client, created int64, unanswered []string) {
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
	// Each unanswered contact warned once and breached once.
	for _, id := range unanswered {
		for _, kind := range []string{"sla.warning", "sla.breached"} {
			if n := sla[id+"|first_response|"+kind]; n != 1 {
				fail("unanswered task %s: %s fired %d times", id, kind, n)
			}
		}
	}
	t.Logf("audit: %d events, %d tasks (%v), %d offers with one outcome each, %d SLA timers fired once each (%d unanswered contacts)",
		events, tasks, states, len(outcomes), len(sla), len(unanswered))
	if int64(tasks) < created+int64(len(unanswered)) {
		fail("%d tasks stored, %d created", tasks, created)
	}
	for _, v := range violations {
		t.Error(v)
	}
}
