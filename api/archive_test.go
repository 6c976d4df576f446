package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/archive"
	"switchboard/config"
	"switchboard/internal/pgtest"
	"switchboard/internal/redistest"
	"switchboard/queues"
)

// withArchive runs the instance with a PostgreSQL archive (its own
// database) and the default retention: the tests' clock is months behind
// Redis's, so what the archive has written expires from Redis at once.
func withArchive(url string) func(*config.Config) {
	return func(c *config.Config) {
		c.DatabaseURL = url
		c.Retention.Finished = 7 * 24 * time.Hour
	}
}

// A WhatsApp contact finishes, is archived and expires from Redis: GET
// /v1/tasks/{id}, its messages and the customer's timeline still show it,
// from the archive; the customer who writes again keeps their id and sees
// both contacts; replaying the events stream writes nothing twice.
func TestArchiveKeepsWhatRedisLetsGo(t *testing.T) {
	db := pgtest.Database(t)
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw), withArchive(db))
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey,
		`{"id":"ana","name":"Ana","time_zone":"Europe/Madrid","languages":["es","en"],"skills":{"support":4}}`)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	if r := in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 1), "Hola, mi pedido no ha llegado")); r.status != http.StatusOK {
		t.Fatalf("messaging webhook: %d %s", r.status, r.body)
	}
	var found struct {
		ID       string        `json:"id"`
		Timeline []queues.Task `json:"timeline"`
	}
	in.must(http.StatusOK, "GET", "/v1/customers?phone="+strings.ReplaceAll(callerPhone, "+", "%2B"), adminKey, "").decode(t, &found)
	if len(found.Timeline) != 1 || found.Timeline[0].Offer == "" {
		t.Fatalf("customer %+v", found)
	}
	task := found.Timeline[0]
	in.must(http.StatusOK, "POST", "/v1/offers/"+task.Offer+"/accept", anaKey, "")
	in.must(http.StatusOK, "POST", "/v1/tasks/"+task.ID+"/complete", anaKey, `{"disposition":"tracking sent"}`)

	n, err := in.archiver.Drain(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("archived %d: %v", n, err)
	}
	if k := in.rdb.Exists(context.Background(), queues.Prefix(in.ws)+"task:"+task.ID).Val(); k != 0 {
		t.Fatal("Redis still holds the task a retention time after it ended")
	}
	var got queues.Task
	in.must(http.StatusOK, "GET", "/v1/tasks/"+task.ID, adminKey, "").decode(t, &got)
	if got.State != "completed" || got.Disposition != "tracking sent" || got.Agent != "ana" || got.CustomerID != found.ID {
		t.Fatalf("archived task %+v", got)
	}
	var conv struct {
		Messages []struct {
			Text string `json:"text"`
		} `json:"messages"`
	}
	in.must(http.StatusOK, "GET", "/v1/tasks/"+task.ID+"/messages", adminKey, "").decode(t, &conv)
	if len(conv.Messages) != 1 || conv.Messages[0].Text != "Hola, mi pedido no ha llegado" {
		t.Fatalf("archived messages %+v", conv)
	}
	var cu struct {
		ID         string        `json:"id"`
		Identities []string      `json:"identities"`
		Timeline   []queues.Task `json:"timeline"`
	}
	in.must(http.StatusOK, "GET", "/v1/customers/"+found.ID+"/timeline", adminKey, "").decode(t, &cu)
	if len(cu.Timeline) != 1 || cu.Timeline[0].ID != task.ID || len(cu.Identities) == 0 {
		t.Fatalf("timeline from the archive %+v", cu)
	}

	// The customer writes again: Redis has forgotten the number, the archive
	// has not; the new contact joins the same customer.
	in.clock.Advance(24 * time.Hour)
	if r := in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 2), "Sigue sin llegar")); r.status != http.StatusOK {
		t.Fatalf("messaging webhook: %d %s", r.status, r.body)
	}
	in.must(http.StatusOK, "GET", "/v1/customers/"+found.ID+"/timeline", adminKey, "").decode(t, &cu)
	if len(cu.Timeline) != 2 || cu.Timeline[1].ID != task.ID || cu.Timeline[0].State == "completed" {
		t.Fatalf("returning customer's timeline %+v", cu.Timeline)
	}

	// Replay every event: nothing is written twice.
	if redistest.Embedded() {
		return // it has no XGROUP SETID to replay with
	}
	if err := in.rdb.XGroupSetID(context.Background(), queues.Prefix(in.ws)+"events", "archive", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := in.archiver.Drain(context.Background()); err != nil || n != 0 {
		t.Fatalf("replay added %d: %v", n, err)
	}
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for table, want := range map[string]int{"contacts": 1, "messages": 1, "customers": 1} {
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d rows (want %d): %v", table, n, want, err)
		}
	}
}

// customerTasks is the timeline of the customer writing from callerPhone,
// newest first.
func (in *instance) customerTasks(t *testing.T) []queues.Task {
	t.Helper()
	var cu struct {
		Timeline []queues.Task `json:"timeline"`
	}
	in.must(http.StatusOK, "GET", "/v1/customers?phone="+strings.ReplaceAll(callerPhone, "+", "%2B"), adminKey, "").decode(t, &cu)
	return cu.Timeline
}

// Interval statistics of a period Redis no longer counts (its service-level
// buckets last 40 days) come from the archive.
func TestStatsOfOldPeriodsFromTheArchive(t *testing.T) {
	db := pgtest.Database(t)
	in := newInstance(t, "", nil, withArchive(db))
	arch, err := archive.Open(context.Background(), db, in.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	old := in.clock.Now().Add(-60 * 24 * time.Hour).Truncate(time.Hour)
	assigned, ended := old.Add(12*time.Second), old.Add(5*time.Minute)
	abandonedAt := old.Add(40 * time.Second)
	met := assigned
	if _, err := arch.Write(context.Background(), archive.Batch{Contacts: []archive.Contact{
		{Task: queues.Task{ID: "old1", State: "completed", Kind: "contact", Channel: "voice", Queue: "support-en",
			CreatedAt: old, AssignedAt: &assigned, EndedAt: &ended,
			Clocks: []queues.Clock{{Name: "first_response", State: "met", MetAt: &met}}}},
		{Task: queues.Task{ID: "old2", State: "canceled", Reason: "abandoned", Kind: "contact", Channel: "voice",
			Queue: "support-en", CreatedAt: old.Add(time.Second), EndedAt: &abandonedAt, Clocks: []queues.Clock{}}},
	}}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows []struct {
			Channel          string   `json:"channel"`
			Offered          int      `json:"offered"`
			Answered         int      `json:"answered"`
			AnsweredInTarget int      `json:"answered_in_target"`
			Abandoned        int      `json:"abandoned"`
			ASA              *float64 `json:"asa_seconds"`
			AbandonWait      *float64 `json:"abandon_wait_seconds"`
		} `json:"rows"`
	}
	in.must(http.StatusOK, "GET", "/v1/stats?queue=support-en&interval=60&from="+old.Format(time.RFC3339)+
		"&to="+old.Add(time.Hour).Format(time.RFC3339), adminKey, "").decode(t, &got)
	if len(got.Rows) != 1 {
		t.Fatalf("rows %+v", got.Rows)
	}
	r := got.Rows[0]
	if r.Channel != "voice" || r.Offered != 2 || r.Answered != 1 || r.AnsweredInTarget != 1 || r.Abandoned != 1 ||
		r.ASA == nil || *r.ASA != 12 || r.AbandonWait == nil || *r.AbandonWait != 39 {
		t.Fatalf("row %+v", r)
	}
}
