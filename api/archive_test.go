package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/config"
	"switchboard/internal/pgtest"
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
