package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type jobView struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	State    string          `json:"state"`
	Progress float64         `json:"progress"`
	Error    string          `json:"error"`
	Result   json.RawMessage `json:"result"`
}

// jobEvents follows a job's event stream to its end and returns the
// progress values it saw and the final job.
func (in *instance) jobEvents(t *testing.T, id string) ([]float64, jobView) {
	t.Helper()
	req, _ := http.NewRequest("GET", in.srv.URL+"/v1/jobs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer sb_planner_dev")
	c := &http.Client{Timeout: 60 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("job events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var progress []float64
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	typ := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			data := line[6:]
			if typ == "progress" {
				var p struct{ Progress float64 }
				_ = json.Unmarshal([]byte(data), &p)
				progress = append(progress, p.Progress)
				continue
			}
			var j jobView
			if err := json.Unmarshal([]byte(data), &j); err != nil {
				t.Fatalf("job event %s: %v", data, err)
			}
			return progress, j
		}
	}
	t.Fatalf("the job's stream ended without its end: %v", sc.Err())
	return nil, jobView{}
}

// jobResult starts a job (202 with a Location), waits for it to end and
// decodes its result into out.
func (in *instance) jobResult(t *testing.T, method, path, key, body string, out any) jobView {
	t.Helper()
	r := in.must(http.StatusAccepted, method, path, key, body)
	var j jobView
	r.decode(t, &j)
	if j.ID == "" || j.State != "running" || r.header.Get("Location") != "/v1/jobs/"+j.ID {
		t.Fatalf("job start: %s (Location %q)", r.body, r.header.Get("Location"))
	}
	_, end := in.jobEvents(t, j.ID)
	if end.State != "done" {
		t.Fatalf("job %s ended %s: %s", j.ID, end.State, end.Error)
	}
	if out != nil {
		if err := json.Unmarshal(end.Result, out); err != nil {
			t.Fatalf("job result %s: %v", end.Result, err)
		}
	}
	// The result stays readable.
	var again jobView
	in.must(http.StatusOK, "GET", "/v1/jobs/"+j.ID, key, "").decode(t, &again)
	if again.State != "done" || string(again.Result) != string(end.Result) {
		t.Fatalf("GET after the end: %+v", again)
	}
	return end
}

// A long simulation reports progress, can be canceled, and jobs are
// bounded per workspace; a job that does not exist is 404.
func TestSimulationJobs(t *testing.T) {
	in := newInstance(t, "", nil)
	// A day of demand for three agents: long enough to cancel midway.
	contacts := strings.Repeat("20,", 47) + "20"
	body := `{"start":"2026-03-02T00:00:00Z","interval_minutes":30,"answer_within_seconds":20,"seed":3,
		"demand":[{"queue":"support-en","channel":"voice","aht_seconds":180,"contacts":[` + contacts + `]}],
		"agents":[{"id":"s1","name":"S","time_zone":"UTC","languages":["en"],"skills":{"support":3}},
		          {"id":"s2","name":"S","time_zone":"UTC","languages":["en"],"skills":{"support":3}}]}`
	var started []jobView
	for range 2 {
		var j jobView
		in.must(http.StatusAccepted, "POST", "/v1/simulations", "sb_planner_dev", body).decode(t, &j)
		started = append(started, j)
	}
	// Two run at once in a workspace: a third is turned away.
	r := in.do("POST", "/v1/simulations", "sb_planner_dev", body)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("a third job: %d %s", r.status, r.body)
	}
	// The first is canceled; the second runs to its end with progress.
	in.must(http.StatusAccepted, "DELETE", "/v1/jobs/"+started[0].ID, "sb_planner_dev", "")
	_, end := in.jobEvents(t, started[0].ID)
	if end.State != "canceled" {
		t.Fatalf("canceled job ended %s", end.State)
	}
	progress, end := in.jobEvents(t, started[1].ID)
	if end.State != "done" || len(end.Result) == 0 {
		t.Fatalf("second job: %+v", end)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] < progress[i-1] || progress[i] > 1 {
			t.Fatalf("progress %v", progress)
		}
	}
	t.Logf("progress seen: %v", progress)
	if r := in.do("GET", "/v1/jobs/sim_nope", "sb_planner_dev", ""); r.status != http.StatusNotFound {
		t.Fatalf("unknown job: %d %s", r.status, r.body)
	}
	if r := in.do("DELETE", "/v1/jobs/"+started[1].ID, "sb_agent_ana_dev", ""); r.status != http.StatusForbidden {
		t.Fatalf("an agent canceling a job: %d", r.status)
	}
}
