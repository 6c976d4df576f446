package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/queues"
)

// The README's tour, over real HTTP: agent, presence, task, offer on the
// stream, accept, complete, ready, and the numbers at /metrics.
func TestTour(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	st := in.stream("ana", anaKey, "")
	snap := st.next(t, "snapshot")
	if !strings.Contains(snap.Data, `"presence":"offline"`) {
		t.Fatalf("snapshot: %s", snap.Data)
	}
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)

	var task queues.Task
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey,
		`{"channel":"chat","skill":"support","language":"es","customer":{"name":"Lucía"},"attributes":{}}`).decode(t, &task)
	if task.Queue != "support-es" || task.State != queues.Reserved || task.Agent != "ana" {
		t.Fatalf("created %+v", task)
	}
	ev := st.next(t, "offer")
	var offer struct {
		OfferID    string          `json:"offer_id"`
		TaskID     string          `json:"task_id"`
		Deadline   int64           `json:"deadline"`
		Customer   json.RawMessage `json:"customer"`
		Attributes json.RawMessage `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &offer); err != nil {
		t.Fatal(err)
	}
	if offer.TaskID != task.ID || offer.OfferID != task.ID+".1" || string(offer.Attributes) != "{}" ||
		string(offer.Customer) != `{"name":"Lucía"}` || offer.Deadline != in.clock.Now().Add(30*time.Second).UnixMilli() {
		t.Fatalf("offer %+v", offer)
	}

	in.clock.Advance(4 * time.Second)
	in.must(http.StatusOK, "POST", "/v1/offers/"+offer.OfferID+"/accept", anaKey, "")
	st.next(t, "task.assigned")
	in.must(http.StatusOK, "POST", "/v1/tasks/"+task.ID+"/complete", anaKey, `{"disposition":"resolved"}`).decode(t, &task)
	if task.State != queues.Wrapping {
		t.Fatalf("after complete: %s", task.State)
	}
	in.must(http.StatusOK, "POST", "/v1/tasks/"+task.ID+"/ready", anaKey, "").decode(t, &task)
	if task.State != queues.Completed || task.Disposition != "resolved" {
		t.Fatalf("after ready: %+v", task)
	}
	st.next(t, "task.completed")

	var q struct {
		Open           bool
		EligibleAgents int64 `json:"eligible_agents"`
		Channels       map[string]struct {
			Waiting, AvailableAgents int64
		}
		Today struct {
			Counts       struct{ Offered, Answered int64 }
			ServiceLevel *float64 `json:"service_level"`
		}
	}
	in.must(http.StatusOK, "GET", "/v1/queues/support-es", "sb_supervisor_dev", "").decode(t, &q)
	if q.EligibleAgents != 1 || q.Today.Counts.Offered != 1 || q.Today.Counts.Answered != 1 || q.Today.ServiceLevel == nil || *q.Today.ServiceLevel != 1 {
		t.Fatalf("queue figures %+v", q)
	}
	in.must(http.StatusNotFound, "GET", "/v1/queues/nope", "sb_supervisor_dev", "")

	if _, err := in.consumer.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	body := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body)
	for _, want := range []string{
		`switchboard_tasks_total{channel="chat",event="created",queue="support-es"} 1`,
		`switchboard_tasks_total{channel="chat",event="assigned",queue="support-es"} 1`,
		`switchboard_tasks_total{channel="chat",event="completed",queue="support-es"} 1`,
		`switchboard_offers_total{outcome="accepted"} 1`,
		`switchboard_task_wait_seconds_bucket{channel="chat",queue="support-es",le="5"} 1`,
		`switchboard_agents{presence="available"} 1`,
		`switchboard_queue_waiting_tasks{channel="chat",queue="support-es"} 0`,
		`switchboard_queue_available_agents{channel="chat",queue="support-es"} 1`,
		`switchboard_routing_script_duration_seconds_count{script="create_task"} 1`,
		`switchboard_queue_service_level_ratio{definition="answered",period="today",queue="support-es"} 1`,
		`switchboard_queue_eligible_agents{queue="support-es"} 1`,
		`switchboard_http_request_duration_seconds_count{code="201",method="POST",route="/v1/tasks"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A task waiting shows in the queue depth and oldest-wait gauges.
func TestQueueGaugesAtScrapeTime(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"email","queue":"billing-fr"}`)
	in.clock.Advance(90 * time.Second)
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"email","queue":"billing-fr"}`)
	body := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body)
	for _, want := range []string{
		`switchboard_queue_waiting_tasks{channel="email",queue="billing-fr"} 2`,
		`switchboard_queue_oldest_wait_seconds{channel="email",queue="billing-fr"} 90`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestStreamResumesFromLastEventID(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	first := in.stream("ana", anaKey, "")
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"support-en"}`)
	got := first.next(t, "offer")
	first.cancel() // the agent's connection drops

	// While it is away, two more offers arrive.
	var t2, t3 queues.Task
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"support-en"}`).decode(t, &t2)
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"support-en"}`).decode(t, &t3)

	again := in.stream("ana", anaKey, got.ID)
	for _, want := range []string{t2.ID, t3.ID} {
		ev := again.next(t, "offer")
		if !strings.Contains(ev.Data, `"task_id":"`+want+`"`) {
			t.Fatalf("resumed offer %s, want task %s", ev.Data, want)
		}
	}
	if r := in.do("GET", "/v1/agents/ana/stream?last_event_id=bogus", anaKey, ""); r.status != http.StatusBadRequest {
		t.Fatalf("bad Last-Event-ID: %d", r.status)
	}
}
