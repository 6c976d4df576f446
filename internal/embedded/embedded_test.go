package embedded_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/embedded"
)

func start(t *testing.T) (*embedded.Server, *redis.Client) {
	t.Helper()
	s, err := embedded.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return s, c
}

const lib = `#!lua name=test
local n = 0 -- lives between calls, as in a real Redis
redis.register_function('both', function(keys, args)
  n = n + 1
  redis.call('INCR', keys[1])
  redis.call('INCR', keys[2])
  return n
end)
redis.register_function('echo', function(keys, args)
  local missing = redis.call('GET', 'nothing')
  local t = redis.call('HSET', keys[1], 'a', args[1], 'n', 7)
  redis.setresp(3)
  local m = redis.call('HGETALL', keys[1]).map
  redis.setresp(2)
  return {tostring(missing), t, m.a, m.n, redis.call('HGETALL', keys[1])[1], cjson.encode({x = 1})}
end)
redis.register_function('fail', function() return redis.error_reply('nope: ' .. 'refused') end)
redis.register_function('status', function() return redis.status_reply('FINE') end)
redis.register_function('bad', function() return redis.call('NOSUCHCOMMAND') end)
redis.register_function('safe', function() return redis.pcall('NOSUCHCOMMAND').err ~= nil end)
`

// Functions load once and run with their commands' replies as a script
// sees them (nil as false, numbers, RESP3 maps when asked), and their
// results and errors reach the client as from a real Redis.
func TestFunctions(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	if err := c.FCall(ctx, "echo", []string{"h"}, "x").Err(); err == nil || !strings.Contains(err.Error(), "Function not found") {
		t.Fatalf("before load: %v", err)
	}
	if name, err := c.FunctionLoad(ctx, lib).Result(); err != nil || name != "test" {
		t.Fatalf("load: %q %v", name, err)
	}
	if err := c.FunctionLoad(ctx, lib).Err(); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("load twice: %v", err)
	}
	got, err := c.FCall(ctx, "echo", []string{"h"}, "x").Slice()
	if err != nil || fmt.Sprintf("%#v", got) != `[]interface {}{"false", 2, "x", "7", "a", "{\"x\":1}"}` {
		t.Fatalf("echo: %#v %v", got, err)
	}
	for i := int64(1); i <= 2; i++ {
		if n, err := c.FCall(ctx, "both", []string{"a", "b"}).Int64(); err != nil || n != i {
			t.Fatalf("call %d: %d %v", i, n, err)
		}
	}
	if err := c.FCall(ctx, "fail", nil).Err(); err == nil || err.Error() != "nope: refused" {
		t.Fatalf("error reply: %v", err)
	}
	if s, err := c.FCall(ctx, "status", nil).Text(); err != nil || s != "FINE" {
		t.Fatalf("status reply: %q %v", s, err)
	}
	if err := c.FCall(ctx, "bad", nil).Err(); err == nil || !strings.Contains(strings.ToLower(err.Error()), "unknown command") {
		t.Fatalf("a failing command: %v", err)
	}
	if ok, err := c.FCall(ctx, "safe", nil).Bool(); err != nil || !ok {
		t.Fatalf("pcall: %v %v", ok, err)
	}
	// A library that does not compile leaves the loaded one in place.
	if err := c.FunctionLoadReplace(ctx, "#!lua name=test\nredis.register_function('both', function(").Err(); err == nil {
		t.Fatal("bad code loaded")
	}
	if err := c.FCall(ctx, "both", []string{"a", "b"}).Err(); err != nil {
		t.Fatalf("after a failed replace: %v", err)
	}
	if err := c.FunctionLoadReplace(ctx, "#!lua name=test\nredis.register_function('other', function() return 1 end)").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.FCall(ctx, "both", []string{"a", "b"}).Err(); err == nil {
		t.Fatal("a replaced library's function still runs")
	}
	if err := c.FunctionFlush(ctx).Err(); err != nil || c.FCall(ctx, "other", nil).Err() == nil {
		t.Fatalf("flush: %v", err)
	}
}

// No other client sees a function half done: readers running beside it
// always find both counters equal.
func TestFunctionsAreAtomic(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	if err := c.FunctionLoad(ctx, lib).Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan string, 1)
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			v, err := c.MGet(ctx, "a", "b").Result()
			if err == nil && v[0] != v[1] {
				select {
				case errs <- "a reader saw a=" + str(v[0]) + " b=" + str(v[1]):
				default:
				}
				return
			}
		}
	})
	for range 2000 {
		if err := c.FCall(ctx, "both", []string{"a", "b"}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case e := <-errs:
		t.Fatal(e)
	default:
	}
	if v, _ := c.Get(ctx, "b").Int(); v != 2000 {
		t.Fatalf("b = %d", v)
	}
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return "nil"
}
