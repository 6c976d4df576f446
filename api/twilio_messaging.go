package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"switchboard/queues"
	"switchboard/telephony"
)

func (s webhooksAPI) twilioMessaging(c *gin.Context, form url.Values) {
	ct, err := s.twilio.ParseMessage(form)
	if err != nil {
		badContact(c, err)
		return
	}
	ct.Attributes["from"] = form.Get("From")
	in := inbound(ct)
	if !s.limit(c, "customer", in.Identity, s.webhookCustomerLimit) {
		return
	}
	got, err := s.app.Contacts.Ingest(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	twimlResponse(c, telephony.Reply(s.closedReply(got)))
}

func (s webhooksAPI) twilioMessageStatus(c *gin.Context, form url.Values) {
	st, err := s.twilio.ParseMessageStatus(form)
	if err != nil {
		badContact(c, err)
		return
	}
	if st.Failed {
		if err := s.app.Contacts.MessageFailed(c.Request.Context(), st.MessageSID, st.Status, st.ErrorCode); err != nil && !errors.Is(err, queues.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	c.Status(http.StatusNoContent)
}
