package api

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/telephony"
	"switchboard/validation"
)

// generic takes the signed JSON webhook of a configured source.
func (s webhooksAPI) generic(c *gin.Context) {
	name := c.Param("source")
	src, ok := s.cfg.Source(name)
	if !ok {
		problem(c, http.StatusNotFound, "no generic source named "+name, validation.Error{Field: "source", Reason: "unknown"})
		return
	}
	provider := src.Name
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.countWebhook(provider, kindGeneric, "too_large")
		problem(c, http.StatusRequestEntityTooLarge, "the body is too large", validation.Error{Field: "body", Reason: "too large"})
		return
	}
	if !telephony.VerifyGeneric(src.Secret, body, c.GetHeader(telephony.SignatureHeader), s.app.Now()) {
		s.countWebhook(provider, kindGeneric, "bad_signature")
		if s.metrics != nil {
			s.metrics.SignatureFailures.WithLabelValues(provider).Inc()
		}
		problem(c, http.StatusForbidden, telephony.SignatureHeader+" is missing, too old, or does not match the body",
			validation.Error{Field: telephony.SignatureHeader, Reason: "invalid"})
		return
	}
	if !s.limit(c, "source", provider, s.webhookAccountLimit) {
		s.countWebhook(provider, kindGeneric, "rate_limited")
		return
	}
	// The same text rules as the REST API: a NUL, invalid UTF-8 or half a
	// surrogate pair is refused, naming the field.
	if field, reason, bad := badText(body); bad {
		s.countWebhook(provider, kindGeneric, "rejected")
		problem(c, http.StatusUnprocessableEntity, "the request has invalid text", validation.Error{Field: field, Reason: reason})
		return
	}
	ct, err := telephony.Generic{Name: src.Name, Channels: src.Channels, Network: src.Network, DefaultRegion: s.cfg.Customers.DefaultRegion}.Parse(body)
	if err != nil {
		s.countWebhook(provider, kindGeneric, "rejected")
		badContact(c, err)
		return
	}
	in := inbound(ct)
	if !s.limit(c, "customer", in.Identity, s.webhookCustomerLimit) {
		s.countWebhook(provider, kindGeneric, "rate_limited")
		return
	}
	got, err := s.app.Contacts.Ingest(c.Request.Context(), in)
	if err != nil {
		s.countWebhook(provider, kindGeneric, "rejected")
		fail(c, err)
		return
	}
	status := http.StatusCreated
	if got.Joined || got.Duplicate || got.Survey != "" {
		status = http.StatusOK
	}
	s.countWebhook(provider, kindGeneric, "ok")
	answer := gin.H{"task_id": got.Task.ID, "customer_id": got.Task.CustomerID, "queue": got.Task.Queue,
		"joined": got.Joined, "duplicate": got.Duplicate}
	if got.Survey != "" {
		answer["survey"] = got.Survey // the message answered the task's survey, or stopped surveys
	}
	if reply := s.closedReply(got); reply != "" {
		answer["auto_reply"] = reply // for the source to show or send to the customer
	}
	respond(c, status, answer)
}
