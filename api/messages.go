package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/config"
)

func (s tasksAPI) listMessages(c *gin.Context) {
	t, err := s.app.Tasks.Task(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if p := principal(c); p.Role == config.RoleAgent && t.Agent != p.AgentID {
		problem(c, http.StatusForbidden, "an agent key may read only its own tasks")
		return
	}
	msgs, err := s.app.Contacts.Messages(c.Request.Context(), t.ID)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"task_id": t.ID, "messages": msgs})
}

func (s tasksAPI) postMessage(c *gin.Context) {
	var body struct {
		Text string `json:"text"`
	}
	if !bind(c, &body, false) {
		return
	}
	ctx := c.Request.Context()
	rep, err := s.app.Contacts.Reply(ctx, c.Param("id"), actingAgent(c), body.Text)
	if err != nil {
		fail(c, err)
		return
	}
	out := gin.H{"task_id": c.Param("id"), "message_id": rep.Message, "status": rep.Status, "first_response": rep.First}
	if rep.Handoff == "" || s.handoffs == nil {
		respond(c, http.StatusCreated, out)
		return
	}
	// Recorded; the first attempt to send is made now, retries follow.
	res, err := s.handoffs.Try(ctx, rep.Handoff)
	if err != nil {
		s.log.Error("send reply", "task", c.Param("id"), "message", rep.Message, "err", err)
	}
	switch res.Outcome {
	case "done":
		out["status"], out["first_response"] = "sent", res.First
		respond(c, http.StatusCreated, out)
	case "failed":
		out["status"], out["error"] = "failed", res.Err
		problem(c, http.StatusBadGateway, "the provider refused the message: "+res.Err)
	default:
		// Twilio did not take it yet: it is retried; the desktop hears of
		// the outcome (message.sent or message.failed).
		out["error"] = res.Err
		respond(c, http.StatusAccepted, out)
	}
}
