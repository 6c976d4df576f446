package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/config"
	"switchboard/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, config.Example, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"check-config", good}, &out, &errOut); err != nil {
		t.Fatalf("example refused: %v %s", err, errOut.String())
	}
	bad := filepath.Join(dir, "bad.yaml")
	text := strings.Replace(string(config.Example), "offer_timeout: 15s", "offer_timeout: -5s", 1)
	text = strings.Replace(text, "languages: [en, es, fr, pt]", "languages: [en, es, fr, pt, \"??\"]", 1)
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	err := run(context.Background(), []string{"check-config", bad}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "2 error(s)") {
		t.Fatalf("bad config: %v", err)
	}
	for _, want := range []string{"channels.voice.offer_timeout: must be positive", "languages[4]:"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, errOut.String())
		}
	}
	// A file that keeps the Twilio token in the environment, as the README
	// advises, checks as the service would run it.
	tw := filepath.Join(dir, "twilio.yaml")
	text = strings.Replace(string(config.Example), "# twilio:", "twilio:\n  account_sid: AC"+strings.Repeat("0", 32)+"\n# twilio-was:", 1)
	if err := os.WriteFile(tw, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TWILIO_AUTH_TOKEN", "from-the-environment")
	out.Reset()
	errOut.Reset()
	if err := run(context.Background(), []string{"check-config", tw}, &out, &errOut); err != nil || !strings.Contains(out.String(), "with TWILIO_AUTH_TOKEN from the environment") {
		t.Fatalf("token in the environment: %v %s %s", err, out.String(), errOut.String())
	}
	t.Setenv("REDIS_URL", "http://127.0.0.1:6379")
	errOut.Reset()
	if err := run(context.Background(), []string{"check-config", good}, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "redis_url:") {
		t.Fatalf("a bad REDIS_URL passed: %v %s", err, errOut.String())
	}
}

// serveUntilStopped starts the service with env, checks that it answers, then
// stops it as SIGTERM would and checks that it shuts down cleanly.
func serveUntilStopped(t *testing.T, env map[string]string) string {
	_, stop := startServe(t, env)
	return stop()
}

// startServe starts the service with env and waits until /readyz answers
// 200; stop shuts it down as SIGTERM would, checks that it stopped cleanly
// and returns its logs.
func startServe(t *testing.T, env map[string]string) (addr string, stop func() string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	t.Setenv("SWITCHBOARD_LISTEN", addr)
	t.Setenv("SWITCHBOARD_CONFIG", "")
	// The example's keys on a real Redis: this is development.
	t.Setenv("SWITCHBOARD_DEVELOPMENT", "1")
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, &logs, &logs) }()

	var res *http.Response
	for range 200 { // the process is starting: poll until it listens
		if res, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err != nil {
		t.Fatalf("service never listened: %v\n%s", err, logs.String())
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d", res.StatusCode)
	}
	return addr, func() string {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no shutdown within 20s")
		}
		return logs.String()
	}
}

// The load generator against a replica with the shipped load-test
// configuration: every contact offered on a stream, accepted and completed,
// nothing dropped, and its agents removed afterwards.
func TestLoadTestCommand(t *testing.T) {
	redisURL := fmt.Sprintf("redis://%s/6", redistest.Addr())
	addr, stop := startServe(t, map[string]string{"REDIS_URL": redisURL, "SWITCHBOARD_CONFIG": "../../examples/loadtest.yaml"})
	defer stop()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"loadtest", "-url", "http://" + addr, "-agents", "30", "-rate", "40",
		"-duration", "500ms", "-hold", "10ms", "-redis", redisURL}, &out, &errOut)
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, errOut.String())
	}
	report := out.String()
	for _, want := range []regexp.Regexp{
		*regexp.MustCompile(`contacts +(\d+) created, (\d+) offers, (\d+) accepted, (\d+) completed, 0 unfinished`),
		*regexp.MustCompile(`errors +map\[\]`),
		*regexp.MustCompile(`streams +0 dropped, 0 disconnected by the server, 0 history lost`),
		*regexp.MustCompile(`offer delivery +n=\d+ p50=`),
		*regexp.MustCompile(`switchboard-[^ ]+-api:\d+`),
	} {
		if !want.MatchString(report) {
			t.Errorf("report lacks %s:\n%s", want.String(), report)
		}
	}
	m := regexp.MustCompile(`contacts +(\d+) created, (\d+) offers, (\d+) accepted, (\d+) completed`).FindStringSubmatch(report)
	if m == nil || m[1] == "0" || m[1] != m[4] {
		t.Fatalf("every contact created should be completed:\n%s", report)
	}
	// The agents are gone.
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/agents", nil)
	req.Header.Set("Authorization", "Bearer sb_admin_dev")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct{ Agents []json.RawMessage }
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || list.Agents == nil || len(list.Agents) != 0 {
		t.Fatalf("agents left after the run: %d (%v)", len(list.Agents), err)
	}
}

func TestServeEmbeddedRedis(t *testing.T) {
	logs := serveUntilStopped(t, map[string]string{"REDIS_URL": ""})
	for _, want := range []string{`"level":"WARN"`, "embedded in-memory Redis", `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestServeRealRedis(t *testing.T) {
	logs := serveUntilStopped(t, map[string]string{"REDIS_URL": fmt.Sprintf("redis://%s/3", redistest.Addr())})
	if !strings.Contains(logs, "connected to redis") || strings.Contains(logs, "embedded") {
		t.Fatalf("logs:\n%s", logs)
	}
}

// The example's published keys on a shared Redis: refused, saying what to do.
func TestServeRefusesTheDevelopmentKeys(t *testing.T) {
	t.Setenv("REDIS_URL", fmt.Sprintf("redis://%s/3", redistest.Addr()))
	t.Setenv("SWITCHBOARD_CONFIG", "")
	var logs bytes.Buffer
	err := run(context.Background(), []string{"serve"}, &logs, &logs)
	if err == nil || !strings.Contains(err.Error(), "sb_admin_dev") || !strings.Contains(err.Error(), "SWITCHBOARD_DEVELOPMENT=1") {
		t.Fatalf("error %v", err)
	}
}

func TestServeRefusesUnreachableRedis(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0")
	t.Setenv("SWITCHBOARD_CONFIG", "")
	t.Setenv("SWITCHBOARD_DEVELOPMENT", "1")
	var logs bytes.Buffer
	err := run(context.Background(), []string{"serve"}, &logs, &logs)
	if err == nil || !strings.Contains(err.Error(), "redis at 127.0.0.1:1") {
		t.Fatalf("error %v", err)
	}
}

// The planning commands, run as a user would on the shipped examples.
func TestPlanningCommands(t *testing.T) {
	t.Setenv("REDIS_URL", fmt.Sprintf("redis://%s/5", redistest.Addr()))
	t.Setenv("SWITCHBOARD_CONFIG", "")
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"staffing", "--csv", "../../examples/staffing.json"}, &out, &errOut); err != nil {
		t.Fatalf("staffing: %v %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "support-en,2026-03-02T14:00:00Z,30,100.0000,180.0000,10.0000,13.0475,14,18.6393,20,0.1741,0.8884") ||
		!strings.Contains(out.String(), "(total),2026-03-02T14:00:00Z,,,,,23.9882,25,34.2688,36,") {
		t.Fatalf("staffing:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"simulate", "../../examples/simulation-bilingual.json"}, &out, &errOut); err != nil {
		t.Fatalf("simulate: %v %s", err, errOut.String())
	}
	var rep struct {
		Contacts int
		Totals   []struct {
			Queue        string
			ServiceLevel float64 `json:"service_level"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Contacts != 2197 || len(rep.Totals) != 2 ||
		fmt.Sprintf("%.4f %.4f", rep.Totals[0].ServiceLevel, rep.Totals[1].ServiceLevel) != "0.7527 0.5433" {
		t.Fatalf("simulate: %+v %v", rep, err)
	}
	out.Reset()
	if err := run(ctx, []string{"bench", "-agents", "20", "-waiting", "50", "-n", "30", "-lives", "40"}, &out, &errOut); err != nil {
		t.Fatalf("bench: %v %s", err, errOut.String())
	}
	// Three scripts a life: create (and offer), accept, complete.
	if !strings.Contains(out.String(), `"route_on_arrival"`) || !strings.Contains(out.String(), `"decisions": 30`) ||
		!strings.Contains(out.String(), `"scripts_per_contact": "3.00"`) {
		t.Fatalf("bench:\n%s", out.String())
	}
	// Both commands remove their workspaces from database 5, where they ran.
	db5 := redis.NewClient(&redis.Options{Addr: redistest.Addr(), DB: 5})
	defer db5.Close()
	if keys, err := db5.Keys(ctx, "*").Result(); err != nil || len(keys) != 0 {
		t.Fatalf("left %d keys (%v)", len(keys), err)
	}
}

func TestHelpListsTheCommands(t *testing.T) {
	for _, arg := range []string{"help", "--help", "-h"} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{arg}, &out, &errOut); err != nil {
			t.Fatalf("%s: %v %s", arg, err, errOut.String())
		}
		for _, cmd := range []string{"check-config", "staffing", "simulate", "bench", "loadtest", "version"} {
			if !strings.Contains(out.String(), "switchboard "+cmd) {
				t.Errorf("%s: usage lacks %s:\n%s", arg, cmd, out.String())
			}
		}
	}
	// Every subcommand's --help prints its usage and succeeds.
	for _, cmd := range []string{"serve", "check-config", "staffing", "simulate", "bench", "loadtest"} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{cmd, "--help"}, &out, &errOut); err != nil {
			t.Errorf("%s --help: %v", cmd, err)
		}
		if !strings.Contains(out.String()+errOut.String(), "sage") {
			t.Errorf("%s --help printed no usage: %q %q", cmd, out.String(), errOut.String())
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "switchboard ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
}
