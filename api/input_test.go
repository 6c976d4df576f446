package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"switchboard/api"
	"switchboard/config"
)

// Bad input gets a 4xx problem+json that names the field, and changes nothing.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"support-en"}`)

	agent := func(mod string) string {
		return strings.Replace(anaJSON, `"id":"ana"`, `"id":"eva"`, 1)[:len(anaJSON)-1] + mod + "}"
	}
	huge := `{"channel":"chat","queue":"support-en","attributes":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"unknown queue", "POST", "/v1/tasks", `{"channel":"chat","queue":"support-xx"}`, 422, "queue"},
		{"unknown channel", "POST", "/v1/tasks", `{"channel":"fax","queue":"support-en"}`, 422, "channel"},
		{"no queue served", "POST", "/v1/tasks", `{"channel":"chat","skill":"support","language":"de"}`, 422, "language"},
		{"priority out of range", "POST", "/v1/tasks", `{"channel":"chat","queue":"support-en","priority":900}`, 422, "priority"},
		{"priority not a number", "POST", "/v1/tasks", `{"channel":"chat","queue":"support-en","priority":"high"}`, 422, "priority"},
		{"customer not an object", "POST", "/v1/tasks", `{"channel":"chat","queue":"support-en","customer":[1]}`, 422, "customer"},
		{"unknown field", "POST", "/v1/tasks", `{"channel":"chat","queue":"support-en","colour":"red"}`, 422, "colour"},
		{"malformed JSON", "POST", "/v1/tasks", `{"channel":`, 400, "body"},
		{"two JSON values", "POST", "/v1/tasks", `{"channel":"chat","queue":"support-en"} {}`, 400, "body"},
		{"empty body", "POST", "/v1/tasks", ``, 400, "body"},
		{"oversized body", "POST", "/v1/tasks", huge, 413, "body"},
		{"bad time zone", "POST", "/v1/agents", agent(`,"time_zone":"Mars/Olympus"`), 422, "time_zone"},
		{"bad language tag", "POST", "/v1/agents", agent(`,"languages":["en","xx-!!"]`), 422, "languages[1]"},
		{"proficiency 9", "POST", "/v1/agents", agent(`,"skills":{"support":9}`), 422, "skills.support"},
		{"negative capacity", "POST", "/v1/agents", agent(`,"capacity":{"chat":-2}`), 422, "capacity.chat"},
		{"agent exists", "POST", "/v1/agents", anaJSON, 409, "id"},
		{"id differs from path", "PUT", "/v1/agents/bob", anaJSON, 422, "id"},
		{"bad presence", "PUT", "/v1/agents/ana/presence", `{"presence":"sleeping"}`, 422, "presence"},
		{"cancel without reason", "POST", "/v1/tasks/x/cancel", `{}`, 422, "reason"},
		{"transfer to nowhere", "POST", "/v1/tasks/x/transfer", `{}`, 422, "queue"},
		{"transfer to unknown queue", "POST", "/v1/tasks/x/transfer", `{"queue":"nope"}`, 422, "queue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := in.snapshot()
			r := in.do(c.method, c.path, adminKey, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			var p api.Problem
			r.decode(t, &p)
			if p.Status != c.status || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
				t.Fatalf("problem %+v, want field %s", p, c.field)
			}
			if after := in.snapshot(); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused request changed Redis")
			}
		})
	}
}

func TestNotFoundAndConflicts(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusNotFound, "GET", "/v1/tasks/tsk_nope", adminKey, "")
	in.must(http.StatusNotFound, "GET", "/v1/agents/nobody", adminKey, "")
	in.must(http.StatusNotFound, "POST", "/v1/offers/tsk_nope.1/accept", adminKey, "")
	in.must(http.StatusNotFound, "PUT", "/v1/agents/nobody/presence", adminKey, `{"presence":"available"}`)
	in.must(http.StatusNotFound, "GET", "/v1/nothing", adminKey, "")
	in.must(http.StatusMethodNotAllowed, "PATCH", "/v1/tasks", adminKey, "")

	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	var task struct{ ID, Offer_ID string }
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"voice","queue":"support-en"}`).decode(t, &task)
	in.must(http.StatusConflict, "DELETE", "/v1/agents/ana", adminKey, "")
	in.must(http.StatusConflict, "POST", "/v1/tasks/"+task.ID+"/complete", anaKey, "")
	in.must(http.StatusOK, "POST", "/v1/offers/"+task.ID+".1/reject", anaKey, "")
	in.must(http.StatusConflict, "POST", "/v1/offers/"+task.ID+".1/accept", anaKey, "")
	in.must(http.StatusOK, "POST", "/v1/tasks/"+task.ID+"/cancel", adminKey, `{"reason":"caller hung up"}`)
	in.must(http.StatusConflict, "POST", "/v1/tasks/"+task.ID+"/cancel", adminKey, `{"reason":"again"}`)
	in.must(http.StatusNoContent, "DELETE", "/v1/agents/ana", adminKey, "")
	in.must(http.StatusNotFound, "GET", "/v1/agents/ana", adminKey, "")
}

// REST tasks match languages as contacts from providers do: es-MX goes to
// the Spanish queue; a language no queue serves is refused, naming the field.
func TestTaskLanguageMatchesLikeWebhooks(t *testing.T) {
	in := newInstance(t, "", nil)
	var task struct{ Queue string }
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","skill":"support","language":"es-MX"}`).decode(t, &task)
	if task.Queue != "support-es" {
		t.Fatalf("es-MX went to %q", task.Queue)
	}
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","skill":"support","language":"ES"}`).decode(t, &task)
	if task.Queue != "support-es" {
		t.Fatalf("ES went to %q", task.Queue)
	}
	r := in.must(http.StatusUnprocessableEntity, "POST", "/v1/tasks", adminKey, `{"channel":"chat","skill":"support","language":"de"}`)
	if !strings.Contains(string(r.body), `"field":"language"`) {
		t.Fatalf("de: %s", r.body)
	}
}

func TestIdempotencyKeyOverHTTP(t *testing.T) {
	in := newInstance(t, "", nil)
	var a, b struct{ ID string }
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"sms","queue":"sales-pt","idempotency_key":"SM1"}`).decode(t, &a)
	in.must(http.StatusOK, "POST", "/v1/tasks", adminKey, `{"channel":"sms","queue":"sales-pt","idempotency_key":"SM1"}`).decode(t, &b)
	if a.ID == "" || a.ID != b.ID {
		t.Fatalf("ids %q and %q", a.ID, b.ID)
	}
}

func TestAuthorization(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	bruno := strings.NewReplacer(`"id":"ana"`, `"id":"bruno"`, `client:ana`, `client:bruno`).Replace(anaJSON)
	in.must(http.StatusCreated, "POST", "/v1/agents", "sb_planner_dev", bruno)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	var task struct{ ID string }
	in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev", `{"channel":"chat","queue":"support-en"}`).decode(t, &task)

	cases := []struct {
		name, method, path, key, body string
		status                        int
	}{
		{"no key", "GET", "/v1/agents", "", "", 401},
		{"wrong key", "GET", "/v1/agents", "sb_wrong", "", 401},
		{"agent lists agents", "GET", "/v1/agents", anaKey, "", 403},
		{"agent reads another agent", "GET", "/v1/agents/bruno", anaKey, "", 403},
		{"agent sets another's presence", "PUT", "/v1/agents/ana/presence", brunoKey, `{"presence":"away"}`, 403},
		{"agent streams another's events", "GET", "/v1/agents/ana/stream", brunoKey, "", 403},
		{"agent accepts another's offer", "POST", "/v1/offers/" + task.ID + ".1/accept", brunoKey, "", 403},
		{"agent reads another's task", "GET", "/v1/tasks/" + task.ID, brunoKey, "", 403},
		// Ownership before state: the task (reserved for ana) is not bruno's,
		// whatever its state.
		{"agent completes another's task", "POST", "/v1/tasks/" + task.ID + "/complete", brunoKey, `{"disposition":"x"}`, 403},
		{"agent ends another's wrap-up", "POST", "/v1/tasks/" + task.ID + "/ready", brunoKey, "", 403},
		{"agent creates a task", "POST", "/v1/tasks", anaKey, `{"channel":"chat","queue":"support-en"}`, 403},
		{"supervisor edits agents", "PUT", "/v1/agents/ana", "sb_supervisor_dev", anaJSON, 403},
		{"planner creates tasks", "POST", "/v1/tasks", "sb_planner_dev", `{"channel":"chat","queue":"support-en"}`, 403},
		{"agent reads its task", "GET", "/v1/tasks/" + task.ID, anaKey, "", 200},
		{"agent reads itself", "GET", "/v1/agents/ana", anaKey, "", 200},
		{"health needs no key", "GET", "/healthz", "", "", 200},
		{"readiness needs no key", "GET", "/readyz", "", "", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := in.do(c.method, c.path, c.key, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if c.status >= 400 && r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("content type %q", r.header.Get("Content-Type"))
			}
		})
	}
	in.must(http.StatusOK, "POST", "/v1/offers/"+task.ID+".1/accept", anaKey, "")
}

func TestTransferToAgentOverHTTP(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	bruno := strings.NewReplacer(`"id":"ana"`, `"id":"bruno"`, `client:ana`, `client:bruno`).Replace(anaJSON)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, bruno)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	var task struct{ ID, Agent, State string }
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"voice","queue":"billing-es"}`).decode(t, &task)
	in.must(http.StatusOK, "POST", "/v1/offers/"+task.ID+".1/accept", anaKey, "")
	in.must(http.StatusConflict, "POST", "/v1/tasks/"+task.ID+"/transfer", anaKey, `{"agent":"bruno"}`) // bruno is offline
	in.must(http.StatusOK, "PUT", "/v1/agents/bruno/presence", brunoKey, `{"presence":"available"}`)
	in.must(http.StatusForbidden, "POST", "/v1/tasks/"+task.ID+"/transfer", brunoKey, `{"agent":"bruno"}`) // not bruno's task
	in.must(http.StatusOK, "POST", "/v1/tasks/"+task.ID+"/transfer", anaKey, `{"agent":"bruno"}`).decode(t, &task)
	if task.Agent != "bruno" || task.State != "reserved" {
		t.Fatalf("after transfer: %+v", task)
	}
	var ana struct {
		State struct{ Load map[string]int } `json:"state"`
	}
	in.must(http.StatusOK, "GET", "/v1/agents/ana", anaKey, "").decode(t, &ana)
	if ana.State.Load["voice"] != 0 {
		t.Fatalf("ana still holds the call: %+v", ana.State.Load)
	}
	in.must(http.StatusOK, "POST", "/v1/offers/"+task.ID+".2/accept", brunoKey, "")
}

func TestStaffingOverHTTP(t *testing.T) {
	in := newInstance(t, "", nil)
	body := `{"target":{"service_level":0.8,"answer_within_seconds":20},"shrinkage":0.3,"patience_seconds":180,
		"intervals":[{"queue":"support-en","start":"2026-03-02T09:00:00Z","minutes":30,"contacts":100,"aht_seconds":180}]}`
	var resp struct {
		Intervals []struct {
			ErlangC struct{ Agents int } `json:"erlang_c"`
			ErlangA struct{ Agents int } `json:"erlang_a"`
		}
		Totals []struct {
			ErlangC struct {
				Scheduled int `json:"scheduled_agents"`
			} `json:"erlang_c"`
		}
	}
	in.must(http.StatusOK, "POST", "/v1/staffing", "sb_planner_dev", body).decode(t, &resp)
	if resp.Intervals[0].ErlangC.Agents != 14 || resp.Intervals[0].ErlangA.Agents != 12 || resp.Totals[0].ErlangC.Scheduled != 20 {
		t.Fatalf("staffing %+v", resp)
	}
	r := in.do("POST", "/v1/staffing", "sb_planner_dev", `{"target":{"service_level":2},"intervals":[]}`)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"target"`) {
		t.Fatalf("bad request: %d %s", r.status, r.body)
	}
	in.must(http.StatusForbidden, "POST", "/v1/staffing", anaKey, body)
}

func TestScheduleOverHTTP(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	in.must(http.StatusNotFound, "GET", "/v1/agents/ana/schedule", anaKey, "")
	before := in.snapshot()
	r := in.do("PUT", "/v1/agents/ana/schedule", "sb_planner_dev", `{"weekly":[{"day":"mon","start":"9:00","end":"17:00"}]}`)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"weekly[0].start"`) {
		t.Fatalf("bad schedule: %d %s", r.status, r.body)
	}
	if !reflect.DeepEqual(before, in.snapshot()) {
		t.Fatal("a refused schedule changed Redis")
	}
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/schedule", "sb_planner_dev",
		`{"weekly":[{"day":"mon","start":"09:00","end":"17:00","breaks":[{"start":"12:00","end":"12:30"}]}],"exceptions":[{"date":"2026-03-09","kind":"leave"}]}`)
	var v struct {
		Schedule struct {
			TimeZone string `json:"time_zone"`
		}
		Next []struct{ Activity string } `json:"next_7_days"`
	}
	in.must(http.StatusOK, "GET", "/v1/agents/ana/schedule", anaKey, "").decode(t, &v)
	// The clock is Mon 2 Mar 10:00 in Madrid: today's rest of the shift (work,
	// break, work); next Monday is leave.
	if v.Schedule.TimeZone != "Europe/Madrid" || len(v.Next) != 3 {
		t.Fatalf("schedule %+v", v)
	}
	in.must(http.StatusForbidden, "PUT", "/v1/agents/ana/schedule", anaKey, `{"weekly":[]}`)
	var adh struct {
		Agents []struct {
			Agent       string
			InAdherence bool `json:"in_adherence"`
		}
		OutOfAdherence int `json:"out_of_adherence"`
	}
	in.must(http.StatusOK, "GET", "/v1/adherence", "sb_supervisor_dev", "").decode(t, &adh)
	// Scheduled to work, but offline: out of adherence.
	if len(adh.Agents) != 1 || adh.Agents[0].InAdherence || adh.OutOfAdherence != 1 {
		t.Fatalf("adherence %+v", adh)
	}
}

func TestStatsCSV(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"email","queue":"sales-pt"}`)
	r := in.must(http.StatusOK, "GET", "/v1/stats?queue=sales-pt&from=2026-03-02T08:00:00Z&to=2026-03-02T10:00:00Z&interval=60&format=csv", "sb_planner_dev", "")
	want := "queue,channel,start,minutes,offered,answered,answered_in_target,abandoned,breached,service_level,asa_seconds,aht_seconds,abandon_wait_seconds\n" +
		"sales-pt,email,2026-03-02T09:00:00Z,60,1,0,0,0,0,,,,\n"
	if string(r.body) != want || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv:\n%s", r.body)
	}
	if r := in.do("GET", "/v1/stats?interval=7&from=yesterday", "sb_planner_dev", ""); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.body), `"field":"from"`) || !strings.Contains(string(r.body), `"field":"interval"`) {
		t.Fatalf("bad query: %d %s", r.status, r.body)
	}
}

func TestForecastUploadAndCoverageOverHTTP(t *testing.T) {
	in := newInstance(t, "", nil)
	csvBody := "queue,channel,start,minutes,contacts,aht_seconds\n" +
		"support-es,voice,2026-03-02T10:00:00Z,30,100,180\n" +
		"support-es,voice,2026-03-02T10:30:00Z,30,60,180\n"
	upload := func(body string) response {
		return in.request("PUT", "/v1/forecast", body, "Authorization", "Bearer sb_planner_dev", "Content-Type", "text/csv")
	}
	if r := upload(csvBody); r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	before := in.snapshot()
	bad := "queue,channel,start,minutes,contacts,aht_seconds\nsupport-es,voice,2026-03-02T11:00:00Z,30,50,180\nsupport-xx,voice,yesterday,30,1,1\n"
	if r := upload(bad); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"rows[1].start"`) {
		t.Fatalf("bad upload: %d %s", r.status, r.body)
	}
	if !reflect.DeepEqual(before, in.snapshot()) {
		t.Fatal("a refused upload stored rows")
	}
	r := in.must(http.StatusOK, "GET", "/v1/coverage?queue=support-es&channel=voice&from=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z&format=svg", "sb_supervisor_dev", "")
	if r.header.Get("Content-Type") != "image/svg+xml" || strings.Count(string(r.body), "<rect") != 2 {
		t.Fatalf("svg: %s", r.body)
	}
	// The chart: whole-agent ticks, an axis title, the queue's local time
	// (Madrid, an hour ahead of UTC in March), shrinkage said; grey for
	// the intervals with no forecast (a second day: nothing uploaded, no
	// history), with the dates shown.
	svg := string(in.must(http.StatusOK, "GET", "/v1/coverage?queue=support-es&channel=voice&from=2026-03-02T10:00:00Z&to=2026-03-03T11:00:00Z&interval=60&format=svg&shrinkage=0.3", "sb_supervisor_dev", "").body)
	for _, want := range []string{">agents</text>", "11:00</text>", "Mon 02 Mar", "Tue 03 Mar", "30 % shrinkage included", "times Europe/Madrid", "#bdbdbd", "required unknown"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	if regexp.MustCompile(`text-anchor="end">[0-9]+\.[0-9]`).MatchString(svg) {
		t.Error("the chart has fractional ticks")
	}
	var unknown struct {
		Rows []map[string]any `json:"rows"`
	}
	json.Unmarshal(in.must(http.StatusOK, "GET", "/v1/coverage?queue=support-es&channel=voice&from=2026-03-03T10:00:00Z&to=2026-03-03T11:00:00Z", "sb_supervisor_dev", "").body, &unknown)
	if len(unknown.Rows) != 2 || unknown.Rows[0]["forecast"] != "none" || unknown.Rows[0]["required_fractional"] != nil || unknown.Rows[0]["gap"] != nil {
		t.Errorf("an interval without a forecast: %v", unknown.Rows)
	}
	for q, field := range map[string]string{"format=pdf": "format", "method=magic": "method", "tz=Mars/Base": "tz", "tz=Local": "tz"} {
		if r := in.do("GET", "/v1/coverage?queue=support-es&channel=voice&"+q, "sb_supervisor_dev", ""); r.status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if tokyo := string(in.must(http.StatusOK, "GET", "/v1/coverage?queue=support-es&channel=voice&from=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z&format=svg&tz=Asia/Tokyo", "sb_supervisor_dev", "").body); !strings.Contains(tokyo, "times Asia/Tokyo") || !strings.Contains(tokyo, ">19:00</text>") {
		t.Error("tz=Asia/Tokyo does not draw in Tokyo time")
	}
	if utc := string(in.must(http.StatusOK, "GET", "/v1/coverage?queue=support-es&channel=voice&from=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z&format=svg&tz=UTC", "sb_supervisor_dev", "").body); !strings.Contains(utc, "times UTC") || !strings.Contains(utc, ">10:00</text>") {
		t.Error("tz=UTC does not draw in UTC")
	}
	r = in.must(http.StatusOK, "GET", "/v1/coverage?queue=support-es&channel=voice&from=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z&format=csv&shrinkage=0.3", "sb_supervisor_dev", "")
	if !strings.HasPrefix(string(r.body), "start,contacts,required,scheduled,gap,forecast\n2026-03-02T10:00:00Z,100.000,18.639,0.000,-18.639,uploaded\n") {
		t.Fatalf("csv: %s", r.body)
	}
}

func TestSimulationOverHTTP(t *testing.T) {
	in := newInstance(t, "", nil)
	body := `{"start":"2026-03-02T00:00:00Z","interval_minutes":30,"answer_within_seconds":20,"wrap_up_seconds":0,"seed":3,
		"demand":[{"queue":"support-en","channel":"voice","aht_seconds":180,"contacts":[20,20]}],
		"agents":[{"id":"s1","name":"S","time_zone":"UTC","languages":["en"],"skills":{"support":3}},
		          {"id":"s2","name":"S","time_zone":"UTC","languages":["en"],"skills":{"support":3}},
		          {"id":"s3","name":"S","time_zone":"UTC","languages":["en"],"skills":{"support":3}}]}`
	var rep struct {
		Contacts int
		Totals   []struct {
			Queue    string
			Offered  int
			Answered int
		}
	}
	in.jobResult(t, "POST", "/v1/simulations", "sb_planner_dev", body, &rep)
	if rep.Contacts < 20 || len(rep.Totals) != 1 || rep.Totals[0].Answered != rep.Totals[0].Offered {
		t.Fatalf("report %+v", rep)
	}
	// The simulation's workspace is gone; the service's own is untouched.
	if keys, _ := in.rdb.Keys(t.Context(), "sb:{sim-*").Result(); len(keys) != 0 {
		t.Fatalf("left %d keys behind", len(keys))
	}
	r := in.do("POST", "/v1/simulations", "sb_planner_dev", `{"start":"2026-03-02T00:00:00Z","interval_minutes":7,"demand":[{"queue":"x","channel":"voice","aht_seconds":0}],"agents":[]}`)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"interval_minutes"`) || !strings.Contains(string(r.body), `"field":"demand[0].queue"`) {
		t.Fatalf("bad scenario: %d %s", r.status, r.body)
	}
}

func TestBulkAgentsCSV(t *testing.T) {
	in := newInstance(t, "", nil)
	put := func(ct, body string) response {
		return in.request("PUT", "/v1/agents", body, "Authorization", "Bearer sb_planner_dev", "Content-Type", ct)
	}
	good := "id,name,time_zone,languages,skills,capacity,voice_blocks,contact\n" +
		"ana,Ana Silva,Europe/Madrid,en;es,billing:2;support:4,chat:3;voice:1,,client:ana\n" +
		"kenji,Kenji Sato,Asia/Tokyo,en,sales:5,,none,sip:kenji@pbx.example.com\n"
	if r := put("text/csv", good); r.status != http.StatusOK || !strings.Contains(string(r.body), `"created":2`) {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	export := string(in.must(http.StatusOK, "GET", "/v1/agents?format=csv", "sb_planner_dev", "").body)
	want := "id,name,time_zone,languages,skills,capacity,voice_blocks,contact,auto_answer\n" +
		"ana,Ana Silva,Europe/Madrid,en;es,billing:2;support:4,chat:3;email:2;sms:5;social:5;voice:1;whatsapp:5,chat;sms;whatsapp;social;email,client:ana,false\n" +
		"kenji,Kenji Sato,Asia/Tokyo,en,sales:5,chat:3;email:2;sms:5;social:5;voice:1;whatsapp:5,none,sip:kenji@pbx.example.com,false\n"
	if export != want {
		t.Fatalf("export:\n%s\nwant:\n%s", export, want)
	}
	// auto_answer travels with the file; a bad value is named.
	if r := put("text/csv", strings.Replace(export, "pbx.example.com,false", "pbx.example.com,true", 1)); r.status != http.StatusOK {
		t.Fatalf("auto_answer import: %d %s", r.status, r.body)
	}
	if body := string(in.must(http.StatusOK, "GET", "/v1/agents/kenji", "sb_planner_dev", "").body); !strings.Contains(body, `"auto_answer":true`) {
		t.Fatalf("kenji after import: %s", body)
	}
	if r := put("text/csv", strings.Replace(export, "pbx.example.com,false", "pbx.example.com,yes", 1)); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.body), `"field":"rows[1].auto_answer"`) {
		t.Fatalf("bad auto_answer: %d %s", r.status, r.body)
	}
	export = strings.Replace(export, "pbx.example.com,false", "pbx.example.com,true", 1)
	// The export imports back unchanged: updates, nothing created.
	if r := put("text/csv", export); r.status != http.StatusOK || !strings.Contains(string(r.body), `"updated":2`) {
		t.Fatalf("re-import: %d %s", r.status, r.body)
	}
	before := in.snapshot()
	bad := strings.Replace(good, "sales:5", "sales:9", 1) + "eva,Eva,Mars/Base,en,support:3,,,\n"
	r := put("text/csv", bad)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"rows[1].skills.sales"`) ||
		!strings.Contains(string(r.body), `"field":"rows[2].time_zone"`) {
		t.Fatalf("bad import: %d %s", r.status, r.body)
	}
	if r := put("application/json", `{"agents":[{"id":"x","name":"X","time_zone":"UTC","languages":["en"],"skills":{"support":1}},{"id":"x","name":"X","time_zone":"UTC","languages":["en"],"skills":{"support":1}}]}`); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.body), `"field":"rows[1].id"`) {
		t.Fatalf("duplicate ids: %d %s", r.status, r.body)
	}
	if !reflect.DeepEqual(before, in.snapshot()) {
		t.Fatal("a rejected import changed Redis")
	}
}

// Coverage by simulation: a bilingual agent counts where it works. English
// has most of the calls, so it gets more than the even split's half.
func TestCoverageBySimulation(t *testing.T) {
	in := newInstance(t, "", nil)
	for _, a := range []string{
		`{"id":"en1","name":"E","time_zone":"UTC","languages":["en"],"skills":{"support":3}}`,
		`{"id":"es1","name":"S","time_zone":"UTC","languages":["es"],"skills":{"support":3}}`,
		`{"id":"bi1","name":"B","time_zone":"UTC","languages":["en","es"],"skills":{"support":3}}`,
	} {
		in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, a)
		var id struct{ ID string }
		_ = json.Unmarshal([]byte(a), &id)
		in.must(http.StatusOK, "PUT", "/v1/agents/"+id.ID+"/schedule", "sb_planner_dev", `{"weekly":[{"day":"mon","start":"00:00","end":"23:59"}]}`)
	}
	in.must(http.StatusOK, "PUT", "/v1/forecast", "sb_planner_dev", `{"rows":[
		{"queue":"support-en","channel":"voice","start":"2026-03-02T10:00:00Z","minutes":60,"contacts":40,"aht_seconds":180},
		{"queue":"support-es","channel":"voice","start":"2026-03-02T10:00:00Z","minutes":60,"contacts":4,"aht_seconds":180}]}`)
	var even, simulated struct {
		Rows []struct{ Scheduled float64 }
	}
	q := "/v1/coverage?queue=support-en&channel=voice&from=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z&interval=60"
	in.must(http.StatusOK, "GET", q, "sb_planner_dev", "").decode(t, &even)
	in.jobResult(t, "GET", q+"&method=simulation", "sb_planner_dev", "", &simulated)
	if len(even.Rows) != 1 || even.Rows[0].Scheduled != 1.5 || simulated.Rows[0].Scheduled <= 1.5 || simulated.Rows[0].Scheduled > 2 {
		t.Fatalf("even %+v, simulated %+v", even.Rows, simulated.Rows)
	}
}

func TestBulkSchedules(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, strings.Replace(anaJSON, `"id":"ana"`, `"id":"eva"`, 1))
	before := in.snapshot()
	r := in.do("PUT", "/v1/schedules", "sb_planner_dev", `{"schedules":{
		"ana":{"weekly":[{"day":"mon","start":"09:00","end":"17:00"}]},
		"eva":{"weekly":[{"day":"mon","start":"25:00","end":"17:00"}]},
		"zoe":{"weekly":[]}}}`)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"schedules.eva.weekly[0].start"`) ||
		!strings.Contains(string(r.body), `"field":"schedules.zoe"`) {
		t.Fatalf("bad bulk: %d %s", r.status, r.body)
	}
	if !reflect.DeepEqual(before, in.snapshot()) {
		t.Fatal("a rejected bulk change was half applied")
	}
	in.must(http.StatusOK, "PUT", "/v1/schedules", "sb_planner_dev", `{"schedules":{
		"ana":{"weekly":[{"day":"mon","start":"09:00","end":"17:00"}]},
		"eva":{"weekly":[{"day":"tue","start":"09:00","end":"17:00"}]}}}`)
	var v struct {
		OnShift bool `json:"on_shift"`
	}
	in.must(http.StatusOK, "GET", "/v1/agents/ana/schedule", adminKey, "").decode(t, &v)
	if !v.OnShift { // Monday 10:00 in Madrid
		t.Fatal("ana not on shift")
	}
}

func TestOutOfAdherenceGauge(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, anaJSON)
	body := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body)
	if !strings.Contains(body, "switchboard_agents_out_of_adherence 0\n") {
		t.Fatalf("no schedule, nobody out: %s", grep(body, "adherence"))
	}
	// Scheduled now (Monday 10:00 in Madrid) but offline: out of adherence;
	// once available, in.
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/schedule", "sb_planner_dev", `{"weekly":[{"day":"mon","start":"09:00","end":"17:00"}]}`)
	if body := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body); !strings.Contains(body, "switchboard_agents_out_of_adherence 1\n") {
		t.Fatalf("offline on shift: %s", grep(body, "adherence"))
	}
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	if body := string(in.must(http.StatusOK, "GET", "/metrics", "", "").body); !strings.Contains(body, "switchboard_agents_out_of_adherence 0\n") {
		t.Fatalf("available on shift: %s", grep(body, "adherence"))
	}
}

func TestTwilioNotConfigured(t *testing.T) {
	in := newInstance(t, "", nil)
	r := in.do("POST", "/webhooks/twilio/voice", "", "CallSid=CA1")
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "TWILIO_AUTH_TOKEN") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// The center as it stands: stored forecast, scheduled agents.
func TestSimulateTheCenter(t *testing.T) {
	in := newInstance(t, "", nil)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey, `{"id":"en1","name":"E","time_zone":"UTC","languages":["en"],"skills":{"support":3}}`)
	in.must(http.StatusOK, "PUT", "/v1/agents/en1/schedule", "sb_planner_dev", `{"weekly":[{"day":"mon","start":"00:00","end":"23:59"}]}`)
	in.must(http.StatusOK, "PUT", "/v1/forecast", "sb_planner_dev", `{"rows":[
		{"queue":"support-en","channel":"voice","start":"2026-03-02T10:00:00Z","minutes":60,"contacts":6,"aht_seconds":120}]}`)
	var rep struct {
		Contacts int
		Totals   []struct{ Queue string }
	}
	in.jobResult(t, "POST", "/v1/simulations?center=voice&from=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z&interval=60",
		"sb_planner_dev", `{"seed":9,"answer_within_seconds":30}`, &rep)
	if rep.Contacts == 0 || len(rep.Totals) != 1 || rep.Totals[0].Queue != "support-en" {
		t.Fatalf("report %+v", rep)
	}
	for _, route := range []string{"/v1/forecast?queue=support-en", "/v1/coverage?queue=support-en"} {
		if r := in.do("GET", route, "sb_planner_dev", ""); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest ||
			!strings.Contains(string(r.body), `"field":"channel"`) {
			t.Fatalf("%s without a channel: %d %s", route, r.status, r.body)
		}
	}
	if r := in.do("POST", "/v1/simulations?center=fax", "sb_planner_dev", ""); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"center"`) {
		t.Fatalf("bad channel: %d %s", r.status, r.body)
	}
}

func TestDeadLettersOverHTTP(t *testing.T) {
	in := newInstance(t, "", nil, func(c *config.Config) {
		c.EventWebhooks = []config.EventWebhook{{Name: "crm", URL: "https://crm.example.com/hook", Secret: "0123456789abcdef0123", Events: []string{"task.created"}}}
	})
	if err := in.store.Outbox().DeadLetter(t.Context(), "crm", []byte(`{"event":{"id":"1-0","type":"task.created"},"error":"status 500","attempts":8}`)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		DeadLetters []struct{ Error string } `json:"dead_letters"`
	}
	in.must(http.StatusOK, "GET", "/v1/event-webhooks/crm/dead-letters", adminKey, "").decode(t, &got)
	if len(got.DeadLetters) != 1 || got.DeadLetters[0].Error != "status 500" {
		t.Fatalf("%+v", got)
	}
	in.must(http.StatusNotFound, "GET", "/v1/event-webhooks/nope/dead-letters", adminKey, "")
	in.must(http.StatusForbidden, "GET", "/v1/event-webhooks/crm/dead-letters", "sb_supervisor_dev", "")
}

// Only a waiting contact that ends with the reason "abandoned" counts as
// abandoned, by REST as from Twilio: another reason is a cancel.
func TestAbandonedOnlyByReason(t *testing.T) {
	in := newInstance(t, "", nil)
	ids := make([]string, 2)
	for i := range ids {
		var tk struct {
			ID string `json:"id"`
		}
		json.Unmarshal(in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"email","queue":"sales-pt"}`).body, &tk)
		ids[i] = tk.ID
	}
	in.must(http.StatusOK, "POST", "/v1/tasks/"+ids[0]+"/cancel", adminKey, `{"reason":"abandoned"}`)
	in.must(http.StatusOK, "POST", "/v1/tasks/"+ids[1]+"/cancel", adminKey, `{"reason":"duplicate"}`)
	r := in.must(http.StatusOK, "GET", "/v1/stats?queue=sales-pt&from=2026-03-02T09:00:00Z&to=2026-03-02T10:00:00Z&interval=60&format=csv", "sb_planner_dev", "")
	if !strings.Contains(string(r.body), "sales-pt,email,2026-03-02T09:00:00Z,60,2,0,0,1,") {
		t.Fatalf("stats:\n%s", r.body)
	}
}

// A queue's today runs from midnight to now, both in the queue's zone.
func TestQueueTodayInOneZone(t *testing.T) {
	in := newInstance(t, "", nil)
	var q struct {
		Today struct{ From, To string }
	}
	if err := json.Unmarshal(in.must(http.StatusOK, "GET", "/v1/queues/support-es", "sb_supervisor_dev", "").body, &q); err != nil {
		t.Fatal(err)
	}
	if q.Today.From != "2026-03-02T00:00:00+01:00" || q.Today.To != "2026-03-02T10:00:00+01:00" {
		t.Fatalf("today %+v", q.Today)
	}
}
