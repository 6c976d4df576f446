package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s tasksAPI) acceptOffer(c *gin.Context) {
	ctx := c.Request.Context()
	acc, err := s.app.Tasks.Accept(ctx, c.Param("id"), actingAgent(c))
	if err != nil {
		fail(c, err)
		return
	}
	// The accept is committed; a call is put through now if Twilio answers,
	// else retried from the hand-off it queued (the task shows how it went).
	if acc.Handoff != "" && s.handoffs != nil {
		if _, err := s.handoffs.Try(ctx, acc.Handoff); err != nil {
			s.log.Error("connect call", "task", acc.TaskID, "agent", acc.Agent, "err", err)
		}
	}
	t, err := s.app.Tasks.Task(ctx, acc.TaskID)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, t)
}

func (s tasksAPI) rejectOffer(c *gin.Context) {
	if err := s.app.Tasks.Reject(c.Request.Context(), c.Param("id"), actingAgent(c)); err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"offer_id": c.Param("id"), "status": "rejected"})
}
