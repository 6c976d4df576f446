package hangup

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// New returns a watcher: on Linux, one epoll set and one goroutine for all
// connections, so a connection costs an entry in a map, not a reader.
func New() (Watcher, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	w := &epoll{fd: fd, fns: map[int32]func(){}}
	go w.loop()
	return w, nil
}

type epoll struct {
	fd   int
	mu   sync.Mutex
	next int32
	fns  map[int32]func()
	// closed ends the loop, which closes the set: closing an epoll set does
	// not wake a thread waiting on it, so the wait has a timeout.
	closed atomic.Bool
}

func (w *epoll) Watch(c net.Conn, fn func()) func() {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	w.mu.Lock()
	w.next++
	for w.fns[w.next] != nil || w.next == 0 {
		w.next++
	}
	id := w.next
	w.fns[id] = fn
	w.mu.Unlock()
	// One shot: a hangup stays pending until the connection is closed, and
	// must not wake the loop again meanwhile.
	ev := syscall.EpollEvent{Events: syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR | syscall.EPOLLONESHOT, Fd: id}
	var cerr error
	if err := raw.Control(func(fd uintptr) { cerr = syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_ADD, int(fd), &ev) }); err != nil || cerr != nil {
		w.forget(id)
		return func() {}
	}
	return func() {
		_ = raw.Control(func(fd uintptr) { _ = syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
		w.forget(id)
	}
}

func (w *epoll) forget(id int32) {
	w.mu.Lock()
	delete(w.fns, id)
	w.mu.Unlock()
}

func (w *epoll) loop() {
	defer syscall.Close(w.fd)
	events := make([]syscall.EpollEvent, 256)
	for !w.closed.Load() {
		n, err := syscall.EpollWait(w.fd, events, 1000)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			w.mu.Lock()
			fn := w.fns[ev.Fd]
			delete(w.fns, ev.Fd)
			w.mu.Unlock()
			if fn != nil {
				fn()
			}
		}
	}
}

// Close stops the watcher (within a second).
func (w *epoll) Close() error {
	w.closed.Store(true)
	return nil
}
