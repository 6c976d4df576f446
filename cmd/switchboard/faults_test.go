package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/redistest"
)

// get requests path with the admin key and reports status, Retry-After,
// body and how long the answer took.
func get(t *testing.T, addr, path string) (int, string, string, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Header.Set("Authorization", "Bearer sb_admin_dev")
	c := &http.Client{Timeout: 15 * time.Second}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), string(b), time.Since(start)
}

// until polls path until it answers want (the health monitor checks on
// its own ticker) and returns how long it took.
func until(t *testing.T, addr, path string, want int) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 20*time.Second {
		if code, _, _, _ := get(t, addr, path); code == want {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered %d", path, want)
	return 0
}

// Redis stopped, frozen and restarted empty under a running replica: fast
// 503s with Retry-After while it is away, an honest /readyz, and recovery
// without a restart; the empty restart is noticed, logged and counted.
func TestRedisStoppedFrozenAndRestartedEmpty(t *testing.T) {
	srv := redistest.Start(t)
	addr, stop := startServe(t, map[string]string{"REDIS_URL": "redis://" + srv.Addr + "/0"})
	logs := ""
	defer func() {
		if t.Failed() && logs == "" {
			t.Log(stop())
		}
	}()
	if code, _, body, _ := get(t, addr, "/v1/agents"); code != http.StatusOK {
		t.Fatalf("agents: %d %s", code, body)
	}

	// Stopped.
	srv.Kill()
	t.Logf("stopped: 503 after %s", until(t, addr, "/v1/agents", http.StatusServiceUnavailable))
	code, retry, body, took := get(t, addr, "/v1/agents")
	if code != http.StatusServiceUnavailable || retry == "" || !strings.Contains(body, "Redis") || strings.Contains(body, srv.Addr) {
		t.Fatalf("while stopped: %d Retry-After %q %s (details such as the address belong in the log)", code, retry, body)
	}
	t.Logf("while stopped: a request answers 503 in %s", took)
	if code, _, body, took := get(t, addr, "/readyz"); code != http.StatusServiceUnavailable || strings.Contains(body, srv.Addr) {
		t.Fatalf("readyz while stopped: %d %s", code, body)
	} else {
		t.Logf("while stopped: /readyz 503 in %s", took)
	}

	// Back, empty.
	srv.Restart()
	t.Logf("restarted: 200 after %s", until(t, addr, "/readyz", http.StatusOK))
	var ready struct {
		Redis struct {
			Up        bool       `json:"up"`
			Resets    int        `json:"resets"`
			LastReset *time.Time `json:"last_reset"`
		} `json:"redis"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for ready.Redis.Resets == 0 && time.Now().Before(deadline) {
		_, _, body, _ = get(t, addr, "/readyz")
		_ = json.Unmarshal([]byte(body), &ready)
		time.Sleep(50 * time.Millisecond)
	}
	if !ready.Redis.Up || ready.Redis.Resets != 1 || ready.Redis.LastReset == nil {
		t.Fatalf("readyz after an empty restart: %s", body)
	}
	if code, _, body, _ := get(t, addr, "/v1/agents"); code != http.StatusOK {
		t.Fatalf("agents after the restart: %d %s", code, body)
	}
	if _, _, m, _ := get(t, addr, "/metrics"); !strings.Contains(m, "switchboard_redis_resets 1") || !strings.Contains(m, "switchboard_redis_up 1") {
		t.Fatalf("metrics lack the reset:\n%s", grepLines(m, "switchboard_redis"))
	}

	// Frozen: connections stay open and nothing answers.
	srv.Freeze()
	t.Logf("frozen: 503 after %s", until(t, addr, "/v1/agents", http.StatusServiceUnavailable))
	if code, _, _, took := get(t, addr, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz while frozen: %d", code)
	} else {
		t.Logf("while frozen: /readyz 503 in %s", took)
	}
	srv.Thaw()
	t.Logf("thawed: 200 after %s", until(t, addr, "/v1/agents", http.StatusOK))

	logs = stop()
	for _, want := range []string{"redis is unreachable", "redis answers again", "came back without this workspace's data"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("a log line is not JSON: %s", line)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The service on a Redis Cluster of three masters, from a redis-cluster://
// URL: it serves the tour's first steps, a task routed to an agent.
func TestServeOnRedisCluster(t *testing.T) {
	nodes := redistest.StartCluster(t, 3)
	url := "redis-cluster://" + nodes[0] + "?addr=" + nodes[1] + "&addr=" + nodes[2]
	addr, stop := startServe(t, map[string]string{"REDIS_URL": url})
	post := func(path, key, body string, want int) string {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
		}
		return string(b)
	}
	post("/v1/agents", "sb_admin_dev", `{"id":"ana","name":"Ana","time_zone":"Europe/Madrid","languages":["en"],"skills":{"support":3}}`, http.StatusCreated)
	req, _ := http.NewRequest("PUT", "http://"+addr+"/v1/agents/ana/presence", strings.NewReader(`{"presence":"available"}`))
	req.Header.Set("Authorization", "Bearer sb_admin_dev")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("presence: %v %v", res, err)
	}
	task := post("/v1/tasks", "sb_admin_dev", `{"channel":"chat","queue":"support-en"}`, http.StatusCreated)
	if !strings.Contains(task, `"agent":"ana"`) || !strings.Contains(task, `"state":"reserved"`) {
		t.Fatalf("task on the cluster: %s", task)
	}
	logs := stop()
	if !strings.Contains(logs, `"kind":"cluster"`) {
		t.Fatalf("logs do not name the cluster:\n%s", logs)
	}
}
