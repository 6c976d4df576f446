package redisconn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redisconn"
	"switchboard/internal/redistest"
	"switchboard/queues"
)

func TestParse(t *testing.T) {
	cases := []struct {
		url  string
		want redisconn.Target
		err  bool
	}{
		{url: "redis://r:6379/2", want: redisconn.Target{Kind: "single", Addrs: []string{"r:6379"}, DB: 2}},
		{url: "redis-sentinel://s1:26379?master_name=main&addr=s2:26379&db=1",
			want: redisconn.Target{Kind: "sentinel", Addrs: []string{"s1:26379", "s2:26379"}, Master: "main", DB: 1}},
		{url: "redis-cluster://n1:7000?addr=n2:7001", want: redisconn.Target{Kind: "cluster", Addrs: []string{"n1:7000", "n2:7001"}}},
		{url: "redis-sentinel://s1:26379", err: true},
		{url: "http://r:6379", err: true},
		{url: "redis-mesh://r:6379", err: true},
		{url: "r:6379", err: true},
		{url: "redis:///0", err: true},
		{url: "redis://:secret@/0", err: true},
		{url: "redis-cluster://", err: true},
		{url: "redis-sentinel://?master_name=m", err: true},
	}
	for _, c := range cases {
		got, err := redisconn.Parse(c.url)
		if (err != nil) != c.err {
			t.Errorf("%s: error %v", c.url, err)
			continue
		}
		if !c.err && fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %+v, want %+v", c.url, got, c.want)
		}
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A Sentinel failover under the store: the master is killed, Sentinel
// promotes the replica, and the same client carries on against it with what
// was replicated before.
func TestSentinelFailover(t *testing.T) {
	master := redistest.Start(t)
	_, mport, _ := net.SplitHostPort(master.Addr)
	replica := redistest.Start(t, "--replicaof", "127.0.0.1", mport)
	ctx := context.Background()

	dir := t.TempDir()
	sport := freePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor main 127.0.0.1 %s 1\n"+
		"sentinel down-after-milliseconds main 500\nsentinel failover-timeout main 3000\n", sport, dir, mport)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not on PATH")
	}
	sentinel := exec.Command(path, conf, "--sentinel")
	if err := sentinel.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sentinel.Process.Kill(); _ = sentinel.Wait() })

	// Wait until the sentinel knows the replica.
	sc := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(sport)})
	defer sc.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rs, err := sc.Replicas(ctx, "main").Result()
		if err == nil && len(rs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sentinel never saw the replica: %v %v", rs, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	rdb, err := redisconn.Open(fmt.Sprintf("redis-sentinel://127.0.0.1:%d?master_name=main", sport),
		redisconn.Settings{PoolSize: 4, DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, PoolTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	store := queues.New(rdb, "failover", queues.Settings{MaxMissedOffers: 3, ReofferDelay: time.Minute,
		AgentStreamLength: 100, EventsLength: 10000, TimelineInOffer: 3})
	now := time.Now()
	save := func(id string) error {
		profile, _ := json.Marshal(map[string]string{"id": id})
		_, _, err := store.UpsertAgent(ctx, now, queues.AgentSpec{ID: id, Profile: profile})
		return err
	}
	if err := save("before"); err != nil {
		t.Fatal(err)
	}
	// What a failover keeps is what reached the replica: wait for it here.
	for i := 0; ; i++ {
		n, err := rdb.Do(ctx, "WAIT", 1, 500).Int()
		if err == nil && n == 1 {
			break
		}
		if i == 20 {
			t.Fatalf("the replica never acknowledged: %d %v", n, err)
		}
	}

	master.Kill()
	start := time.Now()
	for {
		if err = save("after"); err == nil {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("no write accepted within 30s of the failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("writes accepted again %s after the master was killed", time.Since(start).Round(10*time.Millisecond))
	for _, id := range []string{"before", "after"} {
		if _, err := store.GetAgent(ctx, id); err != nil {
			t.Fatalf("agent %s after the failover: %v", id, err)
		}
	}
	// The client now talks to the former replica.
	role, err := redis.NewClient(&redis.Options{Addr: replica.Addr}).Do(ctx, "ROLE").Slice()
	if err != nil || role[0] != "master" {
		t.Fatalf("the replica's role: %v %v", role, err)
	}
}
