package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/config"
	"switchboard/queues"
)

func (s *Server) listMessages(c *gin.Context) {
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

func (s *Server) postMessage(c *gin.Context) {
	var body struct {
		Text string `json:"text"`
	}
	if !bind(c, &body, false) {
		return
	}
	first, err := s.app.Contacts.Reply(c.Request.Context(), c.Param("id"), actingAgent(c), body.Text, s.send)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusCreated, gin.H{"task_id": c.Param("id"), "first_response": first})
}

// send delivers a reply through the provider the conversation came from:
// Twilio's Messages API from the number the customer wrote to. Generic
// sources take replies from the events stream (message.sent).
func (s *Server) send(ctx context.Context, t queues.Task, text string) (string, error) {
	attrs := stringAttributes(t.Attributes)
	if attrs["source"] != "twilio" {
		return "", nil
	}
	if s.twilioAPI == nil {
		return "", errors.New("twilio is not configured for replies")
	}
	sid, err := s.twilioAPI.SendMessage(attrs["to"], attrs["from"], text, s.cfg.PublicBaseURL+"/webhooks/twilio/messaging/status")
	if err != nil {
		return "", &upstreamError{err}
	}
	return sid, nil
}
