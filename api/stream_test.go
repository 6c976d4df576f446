package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/config"
	"switchboard/internal/redistest"
	"switchboard/queues"
)

// Streams hold no Redis connection: with 500 desktops connected to a replica
// whose pools are small (10 for requests, 4 for streams), requests, /readyz
// and /metrics still answer, no command times out waiting for a connection,
// and every agent gets its offer live.
func TestManyStreamsOnSmallPools(t *testing.T) {
	const agents = 500
	in := newInstance(t, "", nil, func(c *config.Config) {
		c.Redis.PoolSize, c.Redis.StreamPoolSize = 10, 4
	})
	var list []map[string]any
	for i := range agents {
		list = append(list, map[string]any{"id": fmt.Sprintf("a%03d", i), "name": "Agent", "time_zone": "UTC",
			"languages": []string{"en"}, "skills": map[string]int{"support": 3}, "capacity": map[string]int{"chat": 1}})
	}
	body, _ := json.Marshal(map[string]any{"agents": list})
	in.must(http.StatusOK, "PUT", "/v1/agents", adminKey, string(body))

	streams := make([]*sse, agents)
	var wg sync.WaitGroup
	for i := range agents {
		wg.Go(func() { streams[i] = in.stream(fmt.Sprintf("a%03d", i), adminKey, "") })
	}
	wg.Wait()
	for _, st := range streams {
		st.next(t, "snapshot")
	}
	if n := in.hub.Connections(); n != agents {
		t.Fatalf("hub holds %d connections, want %d", n, agents)
	}
	// Every agent becomes available and gets one chat.
	for i := range agents {
		in.must(http.StatusOK, "PUT", fmt.Sprintf("/v1/agents/a%03d/presence", i), adminKey, `{"presence":"available"}`)
	}
	var slowest time.Duration
	for range agents {
		start := time.Now()
		in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"support-en"}`)
		slowest = max(slowest, time.Since(start))
	}
	for _, path := range []string{"/readyz", "/metrics"} {
		in.must(http.StatusOK, "GET", path, "", "")
	}
	for i, st := range streams {
		if ev := st.next(t, "offer"); !strings.Contains(ev.Data, `"queue":"support-en"`) {
			t.Fatalf("agent %d: offer %s", i, ev.Data)
		}
	}
	stats := in.rdb.PoolStats()
	if stats.Timeouts != 0 || stats.TotalConns > 10 {
		t.Fatalf("request pool: %+v", stats)
	}
	t.Logf("%d streams open; slowest of %d task creations %v; request pool %d connections, %d waits",
		agents, agents, slowest, stats.TotalConns, stats.WaitCount)
}

// A resume from a position the trimmed stream no longer holds is told so
// ("history.lost"), then gets a fresh snapshot and live events; a resume from
// a position still held gets exactly the missed events, on another replica too.
func TestStreamResumeAfterTrim(t *testing.T) {
	if redistest.Embedded() {
		t.Skip("the embedded Redis does not count a stream's entries (XINFO entries-added): it reports a trimmed history lost sooner")
	}
	in := newInstance(t, "", nil, func(c *config.Config) { c.Routing.AgentStreamLength = 10 })
	other := newInstance(t, in.ws, in.clock, func(c *config.Config) { c.Routing.AgentStreamLength = 10 })
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	first := in.stream("ana", anaKey, "")
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"away","reason":"break"}`)
	old := first.next(t, "presence").ID
	first.cancel()

	// Enough entries that Redis trims whole nodes of the stream (it trims
	// "~" approximately, a node of 100 entries at a time).
	for i := range 300 {
		p := `{"presence":"available"}`
		if i%2 == 0 {
			p = `{"presence":"away","reason":"break"}`
		}
		in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, p)
	}
	held, _, err := in.store.Streams().AgentHistory(t.Context(), "ana", "0", 1)
	if err != nil || len(held) == 0 || queues.CompareStreamIDs(held[0].ID, old) <= 0 {
		t.Fatalf("the stream was not trimmed past %s: %v %v", old, held, err)
	}

	again := other.stream("ana", anaKey, old)
	lost := again.next(t, "history.lost")
	if !strings.Contains(lost.Data, old) {
		t.Fatalf("history.lost: %s", lost.Data)
	}
	snap := again.next(t, "snapshot")
	if !strings.Contains(snap.Data, `"presence":"available"`) {
		t.Fatalf("snapshot after the loss: %s", snap.Data)
	}
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"support-en"}`)
	offer := again.next(t, "offer")
	again.cancel()

	// From a position still held: the missed entries, in order, once.
	var want []string
	for i := range 5 {
		p := `{"presence":"available"}`
		if i%2 == 0 {
			p = `{"presence":"away","reason":"lunch"}`
		}
		in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, p)
	}
	missed, lostNow, err := in.store.Streams().AgentHistory(t.Context(), "ana", offer.ID, 100)
	if err != nil || lostNow || len(missed) < 5 {
		t.Fatalf("history after the offer: %d entries, lost %v, %v", len(missed), lostNow, err)
	}
	for _, m := range missed {
		want = append(want, m.ID)
	}
	resumed := other.stream("ana", anaKey, offer.ID)
	for _, id := range want {
		select {
		case ev := <-resumed.events:
			if ev.ID != id {
				t.Fatalf("resumed %s (%s), want %s", ev.ID, ev.Type, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no event %s within 10s", id)
		}
	}
	// And then live ones, with nothing repeated.
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	if ev := resumed.next(t, "presence"); queues.CompareStreamIDs(ev.ID, want[len(want)-1]) <= 0 {
		t.Fatalf("live event %s repeats history", ev.ID)
	}
}

// Presence follows the desktop: when ana's last stream has been closed for
// the grace period, she goes away ("disconnected") and the offer ringing on
// her desktop goes to bruno at once; reconnecting within the grace period
// changes nothing.
func TestPresenceFollowsTheDesktop(t *testing.T) {
	grace := 10 * time.Second // shorter than the chat offer timeout
	in := newInstance(t, "", nil, func(c *config.Config) { c.Streams.DisconnectGrace = &grace })
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, strings.ReplaceAll(anaJSON, "ana", "bruno"))
	// The hub tells Redis of opened and closed desktops within a second
	// (flush); the test flushes where that second would pass.
	flush := func() {
		t.Helper()
		if err := in.hub.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	ana := in.stream("ana", anaKey, "")
	ana.next(t, "snapshot")
	flush()
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)

	// Reconnecting within the grace period changes nothing.
	ana.cancel()
	in.waitConnections(0)
	flush()
	in.clock.Advance(grace - time.Second)
	ana = in.stream("ana", anaKey, "")
	ana.next(t, "snapshot")
	flush()
	in.clock.Advance(grace - time.Second) // past the first close's grace period
	if _, err := in.router.Tasks.FireDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if a := in.agent("ana"); a.State.Presence != queues.Available {
		t.Fatalf("reconnected within the grace period, ana is %s (%s)", a.State.Presence, a.State.Reason)
	}

	// An offer rings on ana's desktop; the desktop goes. A supervisor
	// watching ana's stream is not her desktop.
	watcher := in.stream("ana", adminKey, "")
	watcher.next(t, "snapshot")
	var task queues.Task
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"support-en"}`).decode(t, &task)
	ana.next(t, "offer")
	ana.cancel()
	in.waitConnections(1)
	flush()
	bruno := in.stream("bruno", brunoKey, "")
	bruno.next(t, "snapshot")
	flush()
	in.must(http.StatusOK, "PUT", "/v1/agents/bruno/presence", brunoKey, `{"presence":"available"}`)
	in.clock.Advance(grace - time.Second)
	// The hub renews the leases of connected agents (bruno) well within the
	// grace period.
	if err := in.hub.Renew(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f, err := in.router.Tasks.FireDue(t.Context()); err != nil || f.Disconnects != 0 {
		t.Fatalf("before the grace period ends: %+v %v", f, err)
	}
	in.clock.Advance(time.Second)
	f, err := in.router.Tasks.FireDue(t.Context())
	if err != nil || f.Disconnects != 1 {
		t.Fatalf("at the end of the grace period: %+v %v", f, err)
	}
	a := in.agent("ana")
	if a.State.Presence != queues.Away || a.State.Reason != "disconnected" || len(a.State.Tasks) != 0 {
		t.Fatalf("ana after the grace period: %+v", a.State)
	}
	if ev := bruno.next(t, "offer"); !strings.Contains(ev.Data, task.ID) {
		t.Fatalf("bruno's offer: %s", ev.Data)
	}
	watcher.next(t, "offer.rescinded")
}

// Stream positions are 64-bit: larger ones are refused, the largest there is
// is newer than anything the stream had (history lost), and a stream of a
// deleted agent is ended with the reason.
func TestStreamEdges(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	for _, id := range []string{"99999999999999999999999999-0", "18446744073709551616-0", "1-18446744073709551616"} {
		r := in.do("GET", "/v1/agents/ana/stream?last_event_id="+id, anaKey, "")
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Last-Event-ID") {
			t.Errorf("Last-Event-ID %s: %d %s", id, r.status, r.body)
		}
	}
	if r := in.do("GET", "/v1/agents/ana/stream?desktop=maybe", anaKey, ""); r.status != http.StatusBadRequest ||
		!strings.Contains(string(r.body), `"field":"desktop"`) {
		t.Errorf("desktop=maybe: %d %s", r.status, r.body)
	}
	st := in.stream("ana", anaKey, "18446744073709551615-18446744073709551615")
	st.next(t, "history.lost")
	st.next(t, "snapshot")

	watcher := in.stream("ana", adminKey, "")
	watcher.next(t, "snapshot")
	in.must(http.StatusNoContent, "DELETE", "/v1/agents/ana", adminKey, "")
	for _, s := range []*sse{st, watcher} {
		if ev := s.next(t, "disconnect"); !strings.Contains(ev.Data, "deleted") {
			t.Fatalf("disconnect: %s", ev.Data)
		}
	}
	in.waitConnections(0)
}

func (in *instance) agent(id string) struct {
	State queues.AgentState `json:"state"`
} {
	in.t.Helper()
	var a struct {
		State queues.AgentState `json:"state"`
	}
	r := in.must(http.StatusOK, "GET", "/v1/agents/"+id, adminKey, "")
	if err := json.Unmarshal(r.body, &a); err != nil {
		in.t.Fatal(err)
	}
	return a
}

// waitConnections waits until the hub holds n connections (a client's close
// reaches the server asynchronously).
func (in *instance) waitConnections(n int64) {
	in.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for in.hub.Connections() != n {
		if time.Now().After(deadline) {
			in.t.Fatalf("the hub holds %d connections, want %d", in.hub.Connections(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
