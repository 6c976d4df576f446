package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type taskPage struct {
	Tasks []struct {
		ID      string `json:"id"`
		State   string `json:"state"`
		Queue   string `json:"queue"`
		Channel string `json:"channel"`
		Agent   string `json:"agent"`
	} `json:"tasks"`
	NextCursor string `json:"next_cursor"`
}

func (in *instance) taskPage(t *testing.T, key, query string) taskPage {
	t.Helper()
	var p taskPage
	if err := json.Unmarshal(in.must(http.StatusOK, "GET", "/v1/tasks?"+query, key, "").body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// GET /v1/tasks pages through tasks newest first with filters; following
// next_cursor visits every match once; an agent key lists its own only; bad
// parameters are refused naming the field.
func TestListTasks(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", "sb_planner_dev", anaJSON)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	var ids []string
	for i := range 7 {
		in.clock.Advance(time.Second)
		q, ch := "support-en", "chat"
		if i%2 == 1 {
			q, ch = "billing-es", "email"
		}
		var tk struct {
			ID string `json:"id"`
		}
		body := in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"`+ch+`","queue":"`+q+`"}`).body
		if err := json.Unmarshal(body, &tk); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	// ana (chat 3) was offered the first three chats; she accepts the first.
	var first struct {
		Offer string `json:"offer_id"`
	}
	json.Unmarshal(in.must(http.StatusOK, "GET", "/v1/tasks/"+ids[0], adminKey, "").body, &first)
	in.must(http.StatusOK, "POST", "/v1/offers/"+first.Offer+"/accept", anaKey, "")

	// Every task, newest first, two a page.
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		p := in.taskPage(t, "sb_supervisor_dev", "limit=2&cursor="+url.QueryEscape(cursor))
		for _, tk := range p.Tasks {
			got = append(got, tk.ID)
		}
		if p.NextCursor == "" || pages > 10 {
			break
		}
		cursor = p.NextCursor
	}
	var want []string
	for i := len(ids) - 1; i >= 0; i-- {
		want = append(want, ids[i])
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
	// A page that ends at the last task says there is nothing more.
	if p := in.taskPage(t, "sb_supervisor_dev", "limit=7"); len(p.Tasks) != 7 || p.NextCursor != "" {
		t.Fatalf("a full last page: %d tasks, cursor %q", len(p.Tasks), p.NextCursor)
	}

	// Filters.
	if p := in.taskPage(t, "sb_supervisor_dev", "queue=billing-es"); len(p.Tasks) != 3 || p.Tasks[0].ID != ids[5] || p.Tasks[0].Channel != "email" {
		t.Fatalf("queue filter: %+v", p)
	}
	if p := in.taskPage(t, "sb_supervisor_dev", "channel=chat&state=reserved"); len(p.Tasks) != 2 || p.Tasks[0].ID != ids[4] || p.Tasks[1].ID != ids[2] {
		t.Fatalf("channel and state filter: %+v", p)
	}
	if p := in.taskPage(t, "sb_supervisor_dev", "agent=ana"); len(p.Tasks) != 1 || p.Tasks[0].ID != ids[0] || p.Tasks[0].State != "assigned" {
		t.Fatalf("agent filter: %+v", p)
	}
	after := in.clock.Now().Add(-3 * time.Second).UTC().Format(time.RFC3339)
	if p := in.taskPage(t, "sb_supervisor_dev", "created_after="+after); len(p.Tasks) != 4 {
		t.Fatalf("created_after %s: %d tasks", after, len(p.Tasks))
	}

	var linked struct {
		ID       string `json:"id"`
		Customer string `json:"customer_id"`
	}
	json.Unmarshal(in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"email","queue":"support-en","customer":{"email":"eva@example.com"}}`).body, &linked)
	if p := in.taskPage(t, "sb_supervisor_dev", "customer="+linked.Customer); linked.Customer == "" || len(p.Tasks) != 1 || p.Tasks[0].ID != linked.ID {
		t.Fatalf("customer filter (%s): %+v", linked.Customer, p)
	}

	// An agent key: its own tasks, whatever it asks.
	if p := in.taskPage(t, anaKey, ""); len(p.Tasks) != 1 || p.Tasks[0].ID != ids[0] {
		t.Fatalf("ana's list: %+v", p)
	}
	in.must(http.StatusForbidden, "GET", "/v1/tasks?agent=bruno", anaKey, "")
	in.must(http.StatusForbidden, "GET", "/v1/tasks", "sb_planner_dev", "")

	for q, field := range map[string]string{
		"state=lost": "state", "queue=nope": "queue", "channel=fax": "channel", "limit=0": "limit", "limit=201": "limit",
		"cursor=zz": "cursor", "created_after=yesterday": "created_after", "agent=a%20b": "agent",
		"created_after=2026-03-02T10:00:00Z&created_before=2026-03-02T09:00:00Z": "created_before",
		// Pairs Go's query parser would drop, leaving the filter out: refused.
		"state=queued;x": "query", "queue=%zz": "query",
	} {
		r := in.do("GET", "/v1/tasks?"+q, adminKey, "")
		if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// A callback scheduled over REST waits until its time, uncounted and
// unrouted, then starts like a contact arriving then, SLA clock and all.
func TestScheduledCallbackOverREST(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", "sb_planner_dev", anaJSON)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) // 10:00 in New York: support-en is open
	var tk struct {
		ID, State, Kind, Agent string
		NotBefore              time.Time `json:"not_before"`
		Clocks                 []struct {
			State string    `json:"state"`
			DueAt time.Time `json:"due_at"`
		} `json:"sla_clocks"`
	}
	json.Unmarshal(in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev",
		`{"channel":"voice","queue":"support-en","kind":"callback","not_before":"`+at.Format(time.RFC3339)+`","attributes":{"callback_number":"+14155550100"}}`).body, &tk)
	if tk.State != "scheduled" || tk.Kind != "callback" || !tk.NotBefore.Equal(at) || tk.Agent != "" || len(tk.Clocks) != 0 {
		t.Fatalf("scheduled %+v", tk)
	}
	if p := in.taskPage(t, "sb_supervisor_dev", "state=scheduled"); len(p.Tasks) != 1 {
		t.Fatalf("scheduled list %+v", p)
	}
	in.clock.Set(at)
	if _, err := in.router.Tasks.FireDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(in.must(http.StatusOK, "GET", "/v1/tasks/"+tk.ID, "sb_supervisor_dev", "").body, &tk)
	if tk.State != "reserved" || tk.Agent != "ana" || len(tk.Clocks) != 1 || tk.Clocks[0].State != "running" || !tk.Clocks[0].DueAt.After(at) {
		t.Fatalf("started %+v", tk)
	}
	// A callback asked for while the queue is closed waits for its opening
	// (support-es keeps Madrid's hours: Saturday night, it opens Monday 09:00).
	in.clock.Set(time.Date(2026, 3, 7, 21, 0, 0, 0, time.UTC))
	json.Unmarshal(in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev",
		`{"channel":"voice","queue":"support-es","kind":"callback"}`).body, &tk)
	if tk.State != "scheduled" || !tk.NotBefore.Equal(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("callback in closed hours %+v", tk)
	}
	for body, field := range map[string]string{
		`{"channel":"voice","queue":"support-en","kind":"outbound"}`:                   "kind",
		`{"channel":"voice","queue":"support-en","not_before":"tomorrow"}`:             "not_before",
		`{"channel":"voice","queue":"support-en","not_before":"2027-12-01T00:00:00Z"}`: "not_before",
	} {
		if r := in.do("POST", "/v1/tasks", "sb_supervisor_dev", body); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
}
