package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/archive"
	"switchboard/config"
	"switchboard/internal/pgtest"
	"switchboard/queues"
)

// withSurvey asks a CSAT question a minute after a WhatsApp contact ends.
func withSurvey(c *config.Config) {
	minute := time.Minute
	c.Surveys.Rules = []config.Survey{{Channels: []string{"whatsapp"}, Kind: "csat", Delay: &minute,
		Window: 24 * time.Hour}}
}

// A survey round trip over the Twilio messaging webhook: a completed
// WhatsApp contact is asked, in the customer's language, through Twilio; the
// customer's "5" answers it (no new contact), is linked to the task and the
// agent, and counts in the quality report; a later "BAJA" with no survey
// pending is a contact and stops surveys for the customer.
func TestSurveyRoundTripOverTwilio(t *testing.T) {
	tw := newFakeTwilio(t)
	in := newInstance(t, "", nil, withTwilio(tw), withArchive(pgtest.Database(t)), withSurvey)
	ctx := context.Background()
	if _, _, err := in.surveys.Pass(ctx, -1); err != nil { // the group starts here
		t.Fatal(err)
	}
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey,
		`{"id":"ana","name":"Ana","time_zone":"Europe/Madrid","languages":["es","en"],"skills":{"support":4}}`)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 1), "Hola, necesito ayuda con mi factura"))
	task := in.customerTasks(t)[0]
	in.must(http.StatusOK, "POST", "/v1/offers/"+task.Offer+"/accept", anaKey, "")
	in.must(http.StatusOK, "POST", "/v1/tasks/"+task.ID+"/complete", anaKey, `{"disposition":"solved"}`)

	if planned, asked, err := in.surveys.Pass(ctx, -1); err != nil || planned != 1 || asked != 0 {
		t.Fatalf("planned %d, asked %d (not due yet): %v", planned, asked, err)
	}
	in.clock.Advance(time.Minute)
	if _, asked, err := in.surveys.Pass(ctx, -1); err != nil || asked != 1 {
		t.Fatalf("asked %d: %v", asked, err)
	}
	if n, err := in.handoffs.Drain(ctx, 10); err != nil || n != 1 {
		t.Fatalf("hand-offs sent %d: %v", n, err)
	}
	reqs := tw.requests()
	q := reqs[len(reqs)-1]
	if !strings.HasSuffix(q.Path, "/Messages.json") || q.Form.Get("To") != "whatsapp:"+callerPhone ||
		!strings.Contains(q.Form.Get("Body"), "del 1 (nada) al 5") {
		t.Fatalf("survey message %+v", q)
	}

	// The answer: no new contact, linked to the task and agent.
	r := in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 2), "5"))
	if r.status != http.StatusOK {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	if ts := in.customerTasks(t); len(ts) != 1 || ts[0].Survey == nil || ts[0].Survey.Score == nil ||
		*ts[0].Survey.Score != 5 || ts[0].Survey.State != "answered" || ts[0].Agent != "ana" {
		t.Fatalf("after the answer: %+v", ts)
	}
	// A retried webhook of the answer is no contact either.
	in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 2), "5"))
	if ts := in.customerTasks(t); len(ts) != 1 {
		t.Fatalf("a retried answer made a contact: %d", len(ts))
	}
	// "BAJA" with nothing pending: a contact, and no survey after it.
	in.twilioPost("/webhooks/twilio/messaging", messageForm(sid("SM", 3), "BAJA"))
	ts := in.customerTasks(t)
	if len(ts) != 2 {
		t.Fatalf("BAJA with no survey pending is a contact: %d tasks", len(ts))
	}
	in.must(http.StatusOK, "POST", "/v1/offers/"+ts[0].Offer+"/accept", anaKey, "")
	in.must(http.StatusOK, "POST", "/v1/tasks/"+ts[0].ID+"/complete", anaKey, `{"disposition":"opt out"}`)
	if planned, _, err := in.surveys.Pass(ctx, -1); err != nil || planned != 0 {
		t.Fatalf("planned %d for a customer who opted out: %v", planned, err)
	}
	// The second contact came within the window of the first, about the
	// same skill: a repeat (the first was not resolved at first contact).
	if _, err := in.consumer.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	body := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body)
	for _, want := range []string{
		`switchboard_repeat_contacts_total{channel="whatsapp",queue="support-es"} 1`,
		`switchboard_survey_answers_total{bucket="satisfied",channel="whatsapp",kind="csat",queue="support-es"} 1`,
		`switchboard_surveys_total{event="sent",kind="csat"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The archive has both contacts and the answer: the report counts them.
	if _, err := in.archiver.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var rep archive.QualityReport
	to := in.clock.Now().Add(time.Minute).Format(time.RFC3339)
	in.must(http.StatusOK, "GET", "/v1/reports/quality?by=agent&to="+to, adminKey, "").decode(t, &rep)
	if len(rep.Rows) != 1 {
		t.Fatalf("report %+v", rep)
	}
	// Two contacts, one CSAT of 5 (satisfied); the customer came back, so
	// the first was not resolved at first contact and the second is a repeat.
	row := rep.Rows[0]
	if row.Key != "ana" || row.Contacts != 2 || row.CSATAnswers != 1 || row.CSAT == nil || *row.CSAT != 1 ||
		row.FCRDecided != 1 || row.FCR == nil || *row.FCR != 0 || row.Repeat == nil || *row.Repeat != 0.5 {
		t.Fatalf("report row %+v", row)
	}
	csv := string(in.must(http.StatusOK, "GET", "/v1/reports/quality?by=agent&format=csv&to="+to, adminKey, "").body)
	if !strings.HasPrefix(csv, "agent,contacts,completed,canceled,aht_seconds") || !strings.Contains(csv, "\nana,2,2,0,") {
		t.Fatalf("csv %s", csv)
	}
	// Redis has let the surveyed contact go; its answer shows from the archive.
	if in.rdb.Exists(ctx, queues.Prefix(in.ws)+"task:"+task.ID).Val() != 0 {
		t.Fatal("the archived contact is still in Redis")
	}
	var first queues.Task
	in.must(http.StatusOK, "GET", "/v1/tasks/"+task.ID, adminKey, "").decode(t, &first)
	if first.Survey == nil || first.Survey.State != "answered" || first.Survey.Score == nil || *first.Survey.Score != 5 {
		t.Fatalf("archived survey %+v", first.Survey)
	}
}
