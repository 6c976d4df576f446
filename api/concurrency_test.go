package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/clock"
	"switchboard/queues"
)

// Two instances share one Redis and one clock. Agents on both take offers
// from their event streams and accept, reject or ignore them (timeouts),
// complete and end wrap-up, while supervisors create and cancel tasks and both
// instances fire timers at once. Afterwards the events stream, the recorded
// history, must show that no task was offered to two agents at once or
// assigned twice, that no agent ever went above capacity on a channel, and
// that every task ended completed or canceled.
func TestConcurrentRoutingKeepsInvariants(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	a := newInstance(t, "", clk)
	b := newInstance(t, a.ws, clk)
	insts := []*instance{a, b}
	rng := rand.New(rand.NewPCG(7, 11))

	type agentDef struct {
		id   string
		caps map[string]int
	}
	queuesUsed := []string{"support-en", "support-es", "billing-en", "sales-fr"}
	channels := []string{"voice", "chat", "sms", "email"}
	var agents []agentDef
	for i := range 24 {
		id := fmt.Sprintf("ag%02d", i)
		caps := map[string]int{"voice": 1, "chat": 1 + rng.IntN(3), "sms": rng.IntN(4), "email": 1 + rng.IntN(2), "whatsapp": 0, "social": 0}
		skills := map[string]int{"support": 1 + rng.IntN(5)}
		langs := []string{"en"}
		switch i % 4 {
		case 1:
			langs = append(langs, "es")
		case 2:
			skills["billing"] = 1 + rng.IntN(5)
		case 3:
			skills["sales"] = 3
			langs = append(langs, "fr")
		}
		body, _ := json.Marshal(map[string]any{"id": id, "name": "Agent " + id, "time_zone": "America/Mexico_City",
			"languages": langs, "skills": skills, "capacity": caps})
		insts[i%2].must(http.StatusCreated, "POST", "/v1/agents", adminKey, string(body))
		agents = append(agents, agentDef{id, caps})
	}

	// Progress: the id of the last stream entry each agent has fully handled.
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	handled := map[string]string{}
	var unexpected []string
	report := func(format string, args ...any) {
		mu.Lock()
		unexpected = append(unexpected, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	expect := func(r response, what string, ok ...int) {
		for _, s := range ok {
			if r.status == s {
				return
			}
		}
		report("%s: status %d: %s", what, r.status, r.body)
	}

	var wg sync.WaitGroup
	for i, ag := range agents {
		in := insts[i%2]
		other := insts[(i+1)%2]
		st := in.stream(ag.id, adminKey, "")
		arng := rand.New(rand.NewPCG(uint64(i), 99))
		wg.Go(func() {
			for ev := range st.events {
				switch ev.Type {
				case "offer":
					var o struct {
						OfferID string `json:"offer_id"`
						TaskID  string `json:"task_id"`
					}
					if err := json.Unmarshal([]byte(ev.Data), &o); err != nil {
						report("offer %s: %v", ev.Data, err)
					}
					switch p := arng.IntN(10); {
					case p < 6: // accept, then complete through the other instance
						r := in.do("POST", "/v1/offers/"+o.OfferID+"/accept", adminKey, "")
						expect(r, "accept", 200, 409) // 409: canceled meanwhile
						if r.status == 200 {
							expect(other.do("POST", "/v1/tasks/"+o.TaskID+"/complete", adminKey, `{"disposition":"done"}`), "complete", 200, 409)
							if arng.IntN(2) == 0 {
								expect(in.do("POST", "/v1/tasks/"+o.TaskID+"/ready", adminKey, ""), "ready", 200, 409)
							}
						}
					case p < 8:
						expect(other.do("POST", "/v1/offers/"+o.OfferID+"/reject", adminKey, ""), "reject", 200, 409)
					default: // ignore: the offer times out when the clock moves
					}
				case "presence":
					if strings.Contains(ev.Data, `"presence":"away"`) && strings.Contains(ev.Data, `"reason":"missed offers"`) {
						expect(in.do("PUT", "/v1/agents/"+ag.id+"/presence", adminKey, `{"presence":"available"}`), "back", 200)
					}
				}
				mu.Lock()
				handled[ag.id] = ev.ID
				cond.Broadcast()
				mu.Unlock()
			}
		})
		insts[(i+1)%2].must(http.StatusOK, "PUT", "/v1/agents/"+ag.id+"/presence", adminKey, `{"presence":"available"}`)
	}

	// quiesce waits until every agent has handled every entry of its stream,
	// so the clock moves only when nothing is in flight.
	quiesce := func() {
		mu.Lock()
		defer mu.Unlock()
		for {
			done := true
			for _, ag := range agents {
				tail, err := a.store.Streams().AgentStreamTail(context.Background(), ag.id)
				if err != nil {
					t.Fatal(err)
				}
				if tail != "0" && handled[ag.id] != tail {
					done = false
					break
				}
			}
			if done {
				return
			}
			cond.Wait()
		}
	}
	fire := func() {
		var fw sync.WaitGroup
		for _, in := range insts {
			fw.Go(func() {
				if _, err := in.router.Tasks.FireDue(context.Background()); err != nil {
					report("fire: %v", err)
				}
			})
		}
		fw.Wait()
	}

	var created []string
	for batch := range 25 {
		var cw sync.WaitGroup
		var cmu sync.Mutex
		for c := range 8 {
			in := insts[c%2]
			q, ch := queuesUsed[(batch+c)%len(queuesUsed)], channels[(batch*3+c)%len(channels)]
			cancel := (batch*8+c)%10 == 0
			cw.Go(func() {
				r := in.do("POST", "/v1/tasks", adminKey, fmt.Sprintf(`{"channel":%q,"queue":%q,"priority":%d}`, ch, q, c%3))
				if r.status != http.StatusCreated {
					report("create: %d %s", r.status, r.body)
					return
				}
				var tk queues.Task
				_ = json.Unmarshal(r.body, &tk)
				cmu.Lock()
				created = append(created, tk.ID)
				cmu.Unlock()
				if cancel { // races with the agent's accept
					expect(insts[(c+1)%2].do("POST", "/v1/tasks/"+tk.ID+"/cancel", adminKey, `{"reason":"customer left"}`), "cancel", 200, 409)
				}
			})
		}
		cw.Wait()
		quiesce()
		clk.Advance(time.Duration(1+rng.IntN(20)) * time.Second)
		fire()
		quiesce()
	}
	// Let the remaining work drain: offers time out, wrap-ups end, reroutes fire.
	open := func() []string {
		var out []string
		for _, id := range created {
			tk, err := a.store.GetTask(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if tk.State != queues.Completed && tk.State != queues.Canceled {
				out = append(out, id)
			}
		}
		return out
	}
	for round := 0; len(open()) > 0 && round < 200; round++ {
		clk.Advance(15 * time.Second)
		fire()
		quiesce()
	}
	if left := open(); len(left) > 0 {
		t.Fatalf("%d tasks never finished: %v", len(left), left)
	}
	mu.Lock()
	if len(unexpected) > 0 {
		t.Fatalf("unexpected answers: %v", unexpected)
	}
	mu.Unlock()

	caps := map[string]map[string]int{}
	for _, ag := range agents {
		caps[ag.id] = ag.caps
	}
	counts := checkHistory(t, a.store, caps, created)
	t.Logf("%d tasks; history: %v", len(created), counts)
	for _, k := range []string{"task.assigned", "offer.rejected", "offer.timeout", "task.canceled", "task.completed"} {
		if counts[k] == 0 {
			t.Errorf("the run had no %s: it did not exercise that path", k)
		}
	}
}

// checkHistory replays the events stream and checks invariants 1 and 2 and
// that every created task ended. It returns how many events of each type it saw.
func checkHistory(t *testing.T, store *queues.Store, caps map[string]map[string]int, created []string) map[string]int {
	t.Helper()
	type holder struct {
		agent, channel string
		state          string // offered, assigned
	}
	held := map[string]*holder{} // task -> who holds it
	assigned := map[string]int{}
	ended := map[string]string{}
	load := map[string]map[string]int{}
	counts := map[string]int{}
	release := func(task string) {
		if h := held[task]; h != nil {
			load[h.agent][h.channel]--
			delete(held, task)
		}
	}
	after := "0"
	for {
		evs, err := store.Outbox().Events(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			after = e.ID
			counts[e.Type]++
			task, agent, ch := e.Fields["task"], e.Fields["agent"], e.Fields["channel"]
			switch e.Type {
			case "offer.created":
				if h := held[task]; h != nil {
					t.Fatalf("invariant 1: task %s offered to %s while held by %s (%s)", task, agent, h.agent, h.state)
				}
				if ended[task] != "" {
					t.Fatalf("task %s offered after it ended %s", task, ended[task])
				}
				held[task] = &holder{agent: agent, channel: ch, state: "offered"}
				if load[agent] == nil {
					load[agent] = map[string]int{}
				}
				load[agent][ch]++
				if load[agent][ch] > caps[agent][ch] {
					t.Fatalf("invariant 2: agent %s has %d on %s, capacity %d", agent, load[agent][ch], ch, caps[agent][ch])
				}
			case "offer.rejected", "offer.timeout", "offer.rescinded":
				if h := held[task]; h == nil || h.agent != agent || h.state != "offered" {
					t.Fatalf("%s of task %s by %s without an open offer", e.Type, task, agent)
				}
				release(task)
			case "task.assigned":
				if h := held[task]; h == nil || h.agent != agent || h.state != "offered" {
					t.Fatalf("task %s assigned to %s without its open offer", task, agent)
				}
				held[task].state = "assigned"
				assigned[task]++
				if assigned[task] > 1 {
					t.Fatalf("invariant 1: task %s assigned twice", task)
				}
			case "task.completed":
				if h := held[task]; h == nil || h.state != "assigned" {
					t.Fatalf("task %s completed while not assigned", task)
				}
				release(task)
				ended[task] = "completed"
			case "task.canceled":
				release(task)
				if ended[task] != "" {
					t.Fatalf("task %s ended twice", task)
				}
				ended[task] = "canceled"
			}
		}
	}
	for _, id := range created {
		if ended[id] == "" {
			t.Fatalf("task %s never ended in the history", id)
		}
	}
	for agent, chans := range load {
		for ch, n := range chans {
			if n != 0 {
				t.Fatalf("agent %s ends with load %d on %s", agent, n, ch)
			}
		}
	}
	return counts
}
