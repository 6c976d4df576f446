// Package redistest starts a real redis-server for a test package, on a free
// port, and hands each test its own workspace in it.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/embedded"
)

var (
	addr string
	// cluster holds the nodes of the package's Redis Cluster when the tests
	// run against one (REDISTEST_CLUSTER=1); addr is then its first node.
	cluster []string
	// embeddedServer is the embedded Redis of REDISTEST_EMBEDDED=1.
	embeddedServer *embedded.Server
	seq            atomic.Int64
)

// Main starts redis-server, runs the package's tests and stops the server.
// With REDISTEST_CLUSTER=1 it starts a Redis Cluster of three masters instead,
// and every client the package's tests get is a cluster client. Call it from
// TestMain.
func Main(m *testing.M) {
	if os.Getenv("REDISTEST_EMBEDDED") != "" {
		// The embedded Redis the service runs on without REDIS_URL.
		s, err := embedded.Start()
		if err != nil {
			fmt.Fprintln(os.Stderr, "start the embedded redis:", err)
			os.Exit(2)
		}
		addr, embeddedServer = s.Addr(), s
		code := m.Run()
		s.Close()
		os.Exit(code)
	}
	if os.Getenv("REDISTEST_CLUSTER") != "" {
		nodes, stop, err := startCluster(3)
		if err != nil {
			fmt.Fprintln(os.Stderr, "start redis cluster:", err)
			os.Exit(2)
		}
		cluster, addr = nodes, nodes[0]
		code := m.Run()
		stop()
		os.Exit(code)
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		fmt.Fprintln(os.Stderr, "redis-server is not on PATH: the tests need a real Redis (apt-get install redis-server)")
		os.Exit(2)
	}
	port, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "find a free port:", err)
		os.Exit(2)
	}
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start redis-server:", err)
		os.Exit(2)
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitReady(addr); err != nil {
		_ = cmd.Process.Kill()
		fmt.Fprintln(os.Stderr, "redis-server did not answer:", err)
		os.Exit(2)
	}
	code := m.Run()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	os.Exit(code)
}

// Addr is the address of the package's redis-server.
func Addr() string { return addr }

// Client returns a client of the package's redis-server (or cluster) with
// go-redis's default settings, closed when t ends.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	return ClientPool(t, 0)
}

// ClientPool returns a client with a pool of size connections (0: go-redis's
// default) that serves pipelines too, as the service configures its own.
func ClientPool(t testing.TB, size int) redis.UniversalClient {
	t.Helper()
	if addr == "" {
		t.Fatal("redistest.Main was not called from TestMain")
	}
	var c redis.UniversalClient
	if cluster != nil {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster, PoolSize: size, PipelinePoolSize: -1})
	} else {
		c = redis.NewClient(&redis.Options{Addr: addr, PoolSize: size, PipelinePoolSize: -1})
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Embedded reports whether the tests run against the embedded Redis
// (REDISTEST_EMBEDDED=1), which lacks some of a real server's reports.
func Embedded() bool { return embeddedServer != nil }

// Cluster reports whether the tests run against a Redis Cluster.
func Cluster() bool { return cluster != nil }

// Keys returns the keys matching pattern on every node.
func Keys(ctx context.Context, c redis.UniversalClient, pattern string) ([]string, error) {
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		return c.Keys(ctx, pattern).Result()
	}
	var mu sync.Mutex
	var out []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		ks, err := n.Keys(ctx, pattern).Result()
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	})
	return out, err
}

// startCluster starts n masters on free ports, splits the slots between
// them and waits until the cluster is ok.
func startCluster(n int) ([]string, func(), error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, nil, errors.New("redis-server is not on PATH: the tests need a real Redis (apt-get install redis-server)")
	}
	dir, err := os.MkdirTemp("", "redis-cluster")
	if err != nil {
		return nil, nil, err
	}
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
		_ = os.RemoveAll(dir)
	}
	var nodes []string
	for i := range n {
		port, err := freePort()
		if err != nil {
			stop()
			return nil, nil, err
		}
		c := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--loglevel", "warning", "--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
			"--cluster-config-file", fmt.Sprintf("%s/nodes-%d.conf", dir, i), "--dir", dir)
		if err := c.Start(); err != nil {
			stop()
			return nil, nil, err
		}
		cmds = append(cmds, c)
		a := fmt.Sprintf("127.0.0.1:%d", port)
		if err := waitReady(a); err != nil {
			stop()
			return nil, nil, err
		}
		nodes = append(nodes, a)
	}
	ctx := context.Background()
	for i, a := range nodes {
		c := redis.NewClient(&redis.Options{Addr: a})
		from, to := i*16384/n, (i+1)*16384/n-1
		err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", from, to).Err()
		if err == nil && i > 0 {
			host, port, _ := net.SplitHostPort(nodes[0])
			err = c.Do(ctx, "CLUSTER", "MEET", host, port).Err()
		}
		_ = c.Close()
		if err != nil {
			stop()
			return nil, nil, err
		}
	}
	for range 200 {
		ok := true
		for _, a := range nodes {
			c := redis.NewClient(&redis.Options{Addr: a})
			info, err := c.ClusterInfo(ctx).Result()
			_ = c.Close()
			ok = ok && err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n))
		}
		if ok {
			return nodes, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, nil, errors.New("the cluster did not become ok within 10s")
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// Workspace returns a workspace name no other test of the run uses.
func Workspace(t testing.TB) string {
	name := unsafe.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("%s-%d", name, seq.Add(1))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls until the freshly started process accepts commands.
func waitReady(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	var err error
	for range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return err
}

// Server is a redis-server of a test's own, for tests that stop, freeze or
// restart it.
type Server struct {
	Addr string
	t    testing.TB
	path string
	args []string
	cmd  *exec.Cmd
}

// Start starts a redis-server on a free port with extra args (for example
// "--appendonly", "yes", "--dir", t.TempDir()); it is killed when t ends.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not on PATH: the tests need a real Redis (apt-get install redis-server)")
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), t: t, path: path,
		args: append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--daemonize", "no", "--loglevel", "warning"}, args...)}
	s.start()
	t.Cleanup(s.Kill)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.path, s.args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	if err := waitReady(s.Addr); err != nil {
		s.t.Fatalf("redis-server at %s did not answer: %v", s.Addr, err)
	}
}

// Kill stops the server at once (SIGKILL).
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart kills the server and starts it again on the same port: empty,
// unless its arguments keep data (AOF).
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

// Freeze stops the process (SIGSTOP): connections stay open, nothing answers.
func (s *Server) Freeze() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (s *Server) Thaw() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// StartCluster starts a Redis Cluster of n masters for one test and returns
// its nodes; it is stopped when t ends.
func StartCluster(t testing.TB, n int) []string {
	t.Helper()
	nodes, stop, err := startCluster(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return nodes
}
