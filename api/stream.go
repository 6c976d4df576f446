package api

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/config"
	"switchboard/queues"
	"switchboard/streams"
	"switchboard/validation"
)

// historyPage is how many entries one catch-up read takes.
const historyPage = 100

// stream serves an agent's events as Server-Sent Events. Live events come
// from this replica's hub, which holds no Redis connection per client. Every
// event carries the id of its entry in the agent's Redis stream, so a client
// that reconnects with Last-Event-ID (header, or last_event_id in the query
// for the first connection) gets every event it missed, in order, once,
// whichever replica it reaches. A connection without one starts with a
// "snapshot" of the agent's open offers and tasks; one whose id is older than
// the trimmed history gets "history.lost" and then a snapshot.
//
// Once caught up, the connection is taken over from the HTTP server
// (hijacked) and served by one small goroutine: thousands of idle desktops
// then cost little more than their sockets.
func (s streamsAPI) stream(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	last := c.GetHeader("Last-Event-ID")
	if last == "" {
		last = c.Query("last_event_id")
	}
	if last != "" && !queues.ValidStreamID(last) {
		problem(c, http.StatusBadRequest, "Last-Event-ID is not an event id of this stream",
			validation.Error{Field: "Last-Event-ID", Reason: "must look like 1700000000000-0"})
		return
	}
	// The agent's own connection is its desktop; a supervisor's watches,
	// unless it says (?desktop=true) that it serves the agent's desktop (an
	// integration acting for agents).
	desktop := principal(c).Role == config.RoleAgent
	if v := c.Query("desktop"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problem(c, http.StatusBadRequest, "desktop must be true or false",
				validation.Error{Field: "desktop", Reason: "must be true or false"})
			return
		}
		desktop = b
	}
	agent, err := s.hub.Agent(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	conn, err := s.hub.Connect(id, desktop)
	if errors.Is(err, streams.ErrFull) {
		c.Header("Retry-After", "5")
		problem(c, http.StatusServiceUnavailable, err.Error()+"; retry on another replica")
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	// Catch up into the first batch before taking the connection over, so
	// a failure still gets an answer.
	w := &sseWriter{timeout: s.cfg.Streams.WriteTimeout, gone: make(chan struct{})}
	if last == "" {
		last, err = s.snapshot(ctx, conn, w, &agent)
	} else {
		last, err = s.catchUp(ctx, conn, w, last)
	}
	if err != nil {
		conn.Close()
		w.close()
		fail(c, err)
		return
	}
	s.openSSE(c, w)
	if err := w.flush(); err != nil {
		conn.Close()
		w.close()
		s.streamEnded(id, err)
		return
	}
	if w.nc != nil {
		w.unwatch = s.hangups.Watch(w.nc, func() { conn.End("") })
		go s.pump(conn, w, last)
		return
	}
	s.pump(conn, w, last)
}

// pump writes the connection's live events until it ends.
func (s streamsAPI) pump(conn *streams.Conn, w *sseWriter, last string) {
	defer w.close()
	defer conn.Close()
	keep := time.NewTicker(s.streamKeepAlive)
	defer keep.Stop()
	var err error
	for {
		select {
		case <-s.streamCtx.Done():
			return
		case <-w.gone:
			return
		case <-conn.Done():
			if reason := conn.Reason(); reason != "" {
				data, _ := json.Marshal(gin.H{"reason": reason})
				w.event("", "disconnect", string(data))
				_ = w.flush()
			}
			return
		case <-keep.C:
			w.comment("keep-alive")
		case m := <-conn.Events():
			last, err = s.deliver(conn, w, m, last)
			// Write what else is queued in the same batch.
			for err == nil && len(conn.Events()) > 0 {
				last, err = s.deliver(conn, w, <-conn.Events(), last)
			}
		}
		if err == nil {
			err = w.flush()
		}
		if err != nil {
			s.streamEnded(conn.AgentID(), err)
			return
		}
	}
}

// deliver writes a live entry unless it was already sent (catching up reads
// entries that also arrive live), or catches up when the hub asks.
func (s streamsAPI) deliver(conn *streams.Conn, w *sseWriter, m *queues.Message, last string) (string, error) {
	if streams.IsResync(m) {
		return s.catchUp(s.streamCtx, conn, w, last)
	}
	if queues.CompareStreamIDs(m.ID, last) <= 0 {
		return last, nil
	}
	w.event(m.ID, m.Type, m.Data)
	return m.ID, w.err
}

// catchUp writes every entry after last from the agent's stream; when some
// are gone it says so and sends a snapshot instead.
func (s streamsAPI) catchUp(ctx context.Context, conn *streams.Conn, w *sseWriter, last string) (string, error) {
	for {
		msgs, lost, err := conn.History(ctx, last, historyPage)
		if err != nil {
			return last, err
		}
		if lost {
			data, _ := json.Marshal(gin.H{"last_event_id": last,
				"reason": "events after this id are no longer kept; a snapshot follows"})
			w.event("", "history.lost", string(data))
			agent, err := conn.Agent(ctx)
			if err != nil {
				return last, err
			}
			return s.snapshot(ctx, conn, w, &agent)
		}
		for _, m := range msgs {
			w.event(m.ID, m.Type, m.Data)
			last = m.ID
		}
		if w.err != nil || len(msgs) < historyPage {
			return last, w.err
		}
	}
}

// snapshot writes the agent with its open offers and tasks, as of the
// stream's tail: read the tail first, then the state, so an event between the
// two comes again after the snapshot, never goes missing.
func (s streamsAPI) snapshot(ctx context.Context, conn *streams.Conn, w *sseWriter, agent *queues.AgentState) (string, error) {
	tail, err := conn.Tail(ctx)
	if err != nil {
		return "", err
	}
	if fresh, err := conn.Agent(ctx); err == nil {
		*agent = fresh
	}
	tasks, err := conn.Tasks(ctx, agent.Tasks)
	if err != nil {
		return "", err
	}
	data, _ := json.Marshal(gin.H{"agent": agent, "tasks": tasks})
	w.event(tail, "snapshot", string(data))
	return tail, w.err
}

func (s streamsAPI) streamEnded(agent string, err error) {
	if !isClientGone(err) {
		s.log.Warn("agent stream ended", "agent", agent, "err", err)
	}
}

func isClientGone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

// sseHeader starts a hijacked stream; its body ends when the connection does.
const sseHeader = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" +
	"Connection: close\r\nX-Accel-Buffering: no\r\n\r\n"

// openSSE starts the event stream, with w's first batch: on HTTP/1.x it
// takes the connection over from the server; otherwise (HTTP/2) it streams
// through the response.
func (s streamsAPI) openSSE(c *gin.Context, w *sseWriter) {
	if c.Request.ProtoMajor == 1 {
		nc, rw, err := http.NewResponseController(c.Writer).Hijack()
		if err == nil {
			// Whatever the client sends from now on is not read.
			_ = nc.SetReadDeadline(time.Time{})
			w.nc = nc
			if rw != nil && rw.Writer.Buffered() > 0 {
				_ = rw.Flush()
			}
			w.buf = append(append(bufPool.Get().([]byte)[:0], sseHeader...), w.buf...)
			return
		}
	}
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Writer.WriteHeader(http.StatusOK)
	w.rc, w.gw = rc, c.Writer
	go func() {
		select {
		case <-c.Request.Context().Done():
			w.closeGone()
		case <-w.gone:
		}
	}()
}

// bufPool holds the buffers batches of events are framed in.
var bufPool = sync.Pool{New: func() any { return make([]byte, 0, 1024) }}

// sseWriter frames Server-Sent Events into a batch and writes it at flush,
// within the write timeout; the first error sticks.
type sseWriter struct {
	nc      net.Conn                 // the hijacked connection, or
	rc      *http.ResponseController // the response (HTTP/2)
	gw      gin.ResponseWriter
	timeout time.Duration
	buf     []byte
	err     error
	gone    chan struct{} // closed when the response's request ends (not hijacked)
	once    sync.Once
	unwatch func() // ends the hangup watch of nc
}

func (w *sseWriter) write(s string) {
	if w.buf == nil {
		w.buf = bufPool.Get().([]byte)[:0]
	}
	w.buf = append(w.buf, s...)
}

// event frames one event; data lines are split so a newline cannot break
// the framing.
func (w *sseWriter) event(id, typ, data string) {
	if id != "" {
		w.write("id: " + id + "\n")
	}
	w.write("event: " + typ + "\n")
	for line := range strings.SplitSeq(data, "\n") {
		w.write("data: ")
		w.write(line)
		w.write("\n")
	}
	w.write("\n")
}

func (w *sseWriter) comment(text string) { w.write(": " + text + "\n\n") }

// flush writes the batch.
func (w *sseWriter) flush() error {
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	deadline := time.Now().Add(w.timeout)
	if w.nc != nil {
		_ = w.nc.SetWriteDeadline(deadline)
		_, w.err = w.nc.Write(w.buf)
	} else {
		_ = w.rc.SetWriteDeadline(deadline)
		if _, w.err = w.gw.Write(w.buf); w.err == nil {
			w.err = w.rc.Flush()
		}
	}
	// Idle connections keep no buffer.
	bufPool.Put(w.buf[:0])
	w.buf = nil
	return w.err
}

func (w *sseWriter) closeGone() { w.once.Do(func() { close(w.gone) }) }

func (w *sseWriter) close() {
	w.closeGone()
	if w.unwatch != nil {
		w.unwatch()
	}
	if w.nc != nil {
		_ = w.nc.Close()
	}
	if w.buf != nil {
		bufPool.Put(w.buf[:0])
		w.buf = nil
	}
}
