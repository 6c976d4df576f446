package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/queues"
)

func (s *Server) acceptOffer(c *gin.Context) {
	acc, err := s.app.Tasks.Accept(c.Request.Context(), c.Param("id"), actingAgent(c))
	if err != nil {
		fail(c, err)
		return
	}
	t, err := s.app.Tasks.Task(c.Request.Context(), acc.TaskID)
	if err != nil {
		fail(c, err)
		return
	}
	// A call is put through to the agent once the offer is accepted.
	if err := s.connectCall(c.Request.Context(), t); err != nil {
		s.log.Error("connect call", "task", t.ID, "agent", t.Agent, "err", err)
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, t)
}

func (s *Server) rejectOffer(c *gin.Context) {
	if err := s.app.Tasks.Reject(c.Request.Context(), c.Param("id"), actingAgent(c)); err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"offer_id": c.Param("id"), "status": "rejected"})
}

// connectCall puts the caller of an accepted voice task through to the agent.
func (s *Server) connectCall(ctx context.Context, t queues.Task) error {
	callSID := stringAttributes(t.Attributes)["call_sid"]
	if t.Channel != "voice" || callSID == "" || s.twilioAPI == nil {
		return nil
	}
	a, err := s.app.Agents.Agent(ctx, t.Agent)
	if err != nil {
		return err
	}
	if a.Contact == "" {
		return &upstreamError{errors.New("agent " + a.ID + " has no voice contact to connect the call to")}
	}
	if err := s.twilioAPI.ConnectCall(callSID, a.Contact); err != nil {
		return &upstreamError{err}
	}
	return nil
}
