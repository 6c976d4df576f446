// Package redistest starts a real redis-server for a test package, on a free
// port, and hands each test its own workspace in it.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	addr string
	seq  atomic.Int64
)

// Main starts redis-server, runs the package's tests and stops the server.
// Call it from TestMain.
func Main(m *testing.M) {
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

// Client returns a client of the package's redis-server with go-redis's
// default settings, closed when t ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	if addr == "" {
		t.Fatal("redistest.Main was not called from TestMain")
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ClientPool returns a client with a pool of size connections that serves
// pipelines too, as the service configures its own clients.
func ClientPool(t testing.TB, size int) *redis.Client {
	t.Helper()
	if addr == "" {
		t.Fatal("redistest.Main was not called from TestMain")
	}
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: size, PipelinePoolSize: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
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
