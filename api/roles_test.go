package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// roleRow is one row of the README's role table.
type roleRow struct {
	method, path               string
	agent, supervisor, planner string // "own", "yes" or ""
}

func readRoleTable(t *testing.T) []roleRow {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^\\| `(GET|POST|PUT|DELETE) (/v1/[^`]*)` \\| (own|yes|) *\\| (yes|) *\\| (yes|) *\\|$")
	var rows []roleRow
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		rows = append(rows, roleRow{m[1], m[2], m[3], m[4], m[5]})
	}
	if len(rows) < 30 {
		t.Fatalf("found %d rows of the role table in README.md", len(rows))
	}
	return rows
}

// Every route of the API is in the README's role table, and every row of
// the table holds: each role, and an agent key for its own agent and for
// another, is let through or refused (403) as the table says.
func TestRoleMatrix(t *testing.T) {
	rows := readRoleTable(t)
	in := newInstance(t, "", nil)

	// The table lists every /v1 route.
	listed := map[string]bool{}
	param := regexp.MustCompile(`\{[a-z]+\}`)
	for _, r := range rows {
		listed[r.method+" "+param.ReplaceAllString(r.path, ":")] = true
	}
	for _, rt := range in.srv.Config.Handler.(*gin.Engine).Routes() {
		if !strings.HasPrefix(rt.Path, "/v1/") {
			continue
		}
		k := rt.Method + " " + regexp.MustCompile(`:[a-z]+`).ReplaceAllString(rt.Path, ":")
		if !listed[k] {
			t.Errorf("%s %s is not in the README's role table", rt.Method, rt.Path)
		}
		delete(listed, k)
	}
	for k := range listed {
		t.Errorf("the README's role table lists %s, which the service does not serve", k)
	}

	// ana serves support, bruno sales: each holds a task and an open offer.
	in.must(http.StatusCreated, "POST", "/v1/agents", "sb_planner_dev", anaJSON)
	in.must(http.StatusCreated, "POST", "/v1/agents", "sb_planner_dev", `{"id":"bruno","name":"Bruno","time_zone":"UTC","languages":["en"],"skills":{"sales":3}}`)
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/presence", anaKey, `{"presence":"available"}`)
	in.must(http.StatusOK, "PUT", "/v1/agents/bruno/presence", brunoKey, `{"presence":"available"}`)
	task := func(queue, customer string) (id, offer, cust string) {
		var tk struct {
			ID       string `json:"id"`
			Offer    string `json:"offer_id"`
			Customer string `json:"customer_id"`
		}
		body := in.must(http.StatusCreated, "POST", "/v1/tasks", adminKey, `{"channel":"chat","queue":"`+queue+`","customer":`+customer+`}`).body
		if err := json.Unmarshal(body, &tk); err != nil || tk.Offer == "" {
			t.Fatalf("task in %s: %s", queue, body)
		}
		return tk.ID, tk.Offer, tk.Customer
	}
	anaTask, anaOffer, customer := task("support-en", `{"email":"eva@example.com"}`)
	in.must(http.StatusOK, "POST", "/v1/offers/"+anaOffer+"/accept", anaKey, "")
	_, anaOffer, _ = task("support-en", `{}`)
	brunoTask, brunoOffer, _ := task("sales-en", `{}`)
	in.must(http.StatusOK, "POST", "/v1/offers/"+brunoOffer+"/accept", brunoKey, "")
	_, brunoOffer, _ = task("sales-en", `{}`)

	fill := func(path string, own bool) string {
		agent, tk, offer := "bruno", brunoTask, brunoOffer
		if own {
			agent, tk, offer = "ana", anaTask, anaOffer
		}
		return strings.NewReplacer("{agent}", agent, "{task}", tk, "{offer}", offer, "{customer}", customer,
			"{queue}", "support-en", "{job}", "job_none", "{name}", "crm").Replace(path)
	}
	status := func(method, path, key string) int {
		req, err := http.NewRequest(method, in.srv.URL+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := in.srv.Client().Do(req) // returns at the headers: event streams too
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	check := func(r roleRow, who, key, path string, allowed bool) {
		got := status(r.method, path, key)
		if allowed && got == http.StatusForbidden || !allowed && got != http.StatusForbidden {
			t.Errorf("%s %s as %s: %d, the table says allowed=%v", r.method, path, who, got, allowed)
		}
	}
	// Reads first, then changes, so that an allowed change does not take
	// away what a later check needs (a refusal is decided before any change).
	var ordered []roleRow
	for _, pass := range []bool{true, false} {
		for _, r := range rows {
			if (r.method == "GET") == pass {
				ordered = append(ordered, r)
			}
		}
	}
	for _, r := range ordered {
		own, other := fill(r.path, true), fill(r.path, false)
		if !strings.Contains(r.path, "{") && r.agent == "own" {
			other = r.path + "?agent=bruno" // a list: asking for another agent's
		}
		check(r, "agent (own)", anaKey, own, r.agent == "own")
		check(r, "agent (other)", anaKey, other, false)
		check(r, "supervisor", "sb_supervisor_dev", other, r.supervisor == "yes")
		check(r, "planner", "sb_planner_dev", other, r.planner == "yes")
		check(r, "admin", adminKey, other, true)
	}
}
