package hangup_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"switchboard/internal/hangup"
)

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if server, err = l.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestPeerHangupIsNoticedOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("hangups are noticed by writes on this system")
	}
	w, err := hangup.New()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	gone, stayed := make(chan struct{}, 2), make(chan struct{}, 1)

	s1, c1 := pair(t)
	stop1 := w.Watch(s1, func() { gone <- struct{}{} })
	defer stop1()
	s2, c2 := pair(t)
	stop2 := w.Watch(s2, func() { stayed <- struct{}{} })

	c1.Close()
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the peer's close was not noticed")
	}
	// A watch stopped before the peer leaves tells nothing.
	stop2()
	c2.Close()
	select {
	case <-gone:
		t.Fatal("one hangup was told twice")
	case <-stayed:
		t.Fatal("a stopped watch still told")
	case <-time.After(200 * time.Millisecond):
	}
}
