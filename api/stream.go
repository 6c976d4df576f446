package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/queues"
	"switchboard/validation"
)

// stream serves an agent's events as Server-Sent Events. Every event carries
// the id of its entry in the agent's Redis stream, so a client that reconnects
// with Last-Event-ID (header, or last_event_id in the query for the first
// connection) misses nothing, whichever replica it reaches. A connection
// without one starts with a "snapshot" of the agent's open offers and tasks.
func (s *Server) stream(c *gin.Context) {
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
	store := s.router.Store()
	agent, err := store.GetAgent(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	if last == "" {
		// Read the tail first, then the state: an event between the two comes
		// again after the snapshot, never goes missing.
		if last, err = store.AgentStreamTail(ctx, id); err != nil {
			s.log.Error("stream tail", "agent", id, "err", err)
			return
		}
		tasks := make([]queues.Task, 0, len(agent.Tasks))
		for _, tid := range agent.Tasks {
			if t, err := store.GetTask(ctx, tid); err == nil {
				tasks = append(tasks, t)
			}
		}
		data, _ := json.Marshal(gin.H{"agent": agent, "tasks": tasks})
		fmt.Fprintf(w, "id: %s\nevent: snapshot\ndata: %s\n\n", last, data)
		w.Flush()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		default:
		}
		msgs, err := store.ReadAgentStream(ctx, id, last, 100, s.streamBlock)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("read agent stream", "agent", id, "err", err)
			}
			return
		}
		if len(msgs) == 0 {
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		for _, m := range msgs {
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", m.ID, m.Type, m.Data)
			last = m.ID
		}
		w.Flush()
	}
}
