package api

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"switchboard/router"
	"switchboard/telephony"
	"switchboard/validation"
)

// Webhook kinds, for metrics.
const (
	kindVoice         = "voice"
	kindIVR           = "ivr"
	kindVoiceStatus   = "voice_status"
	kindMessaging     = "messaging"
	kindMessageStatus = "messaging_status"
	kindGeneric       = "generic"
	kindCallback      = "callback"
)

func (s webhooksAPI) webhookRoutes(e *gin.Engine) {
	if s.twilio != nil {
		tw := e.Group("/webhooks/twilio")
		tw.POST("/voice", s.twilioForm(kindVoice, s.twilioVoice))
		tw.POST("/voice/ivr", s.twilioForm(kindIVR, s.twilioIVR))
		tw.POST("/voice/status", s.twilioForm(kindVoiceStatus, s.twilioVoiceStatus))
		tw.POST("/voice/callback", s.twilioForm(kindCallback, s.twilioCallback))
		tw.POST("/messaging", s.twilioForm(kindMessaging, s.twilioMessaging))
		tw.POST("/messaging/status", s.twilioForm(kindMessageStatus, s.twilioMessageStatus))
	} else {
		e.Any("/webhooks/twilio/*path", func(c *gin.Context) {
			problem(c, http.StatusNotFound, "Twilio is not configured: set twilio.account_sid and TWILIO_AUTH_TOKEN",
				validation.Error{Field: "twilio.account_sid", Reason: "not set"})
		})
	}
	e.POST("/webhooks/generic/:source", s.generic)
}

// twilioForm reads and authenticates a Twilio webhook (form POST signed with
// X-Twilio-Signature over the public URL), rate limits the account, then
// hands the form to next. Nothing is written before the signature is checked.
func (s webhooksAPI) twilioForm(kind string, next func(*gin.Context, url.Values)) gin.HandlerFunc {
	return func(c *gin.Context) {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			s.countWebhook("twilio", kind, "too_large")
			problem(c, http.StatusRequestEntityTooLarge, "the body is too large", validation.Error{Field: "body", Reason: "too large"})
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			s.countWebhook("twilio", kind, "malformed")
			problem(c, http.StatusBadRequest, "the body is not a form", validation.Error{Field: "body", Reason: err.Error()})
			return
		}
		if !s.twilio.Verify(c.Request.URL.RequestURI(), form, c.GetHeader("X-Twilio-Signature")) {
			s.countWebhook("twilio", kind, "bad_signature")
			if s.metrics != nil {
				s.metrics.SignatureFailures.WithLabelValues("twilio").Inc()
			}
			problem(c, http.StatusForbidden, "X-Twilio-Signature does not match this request and "+s.cfg.PublicBaseURL+c.Request.URL.RequestURI(),
				validation.Error{Field: "X-Twilio-Signature", Reason: "invalid or missing"})
			return
		}
		if !s.limit(c, "twilio", form.Get("AccountSid"), s.webhookAccountLimit) {
			s.countWebhook("twilio", kind, "rate_limited")
			return
		}
		next(c, form)
		s.countWebhook("twilio", kind, resultOf(c.Writer.Status()))
	}
}

func (s webhooksAPI) countWebhook(provider, kind, result string) {
	if s.metrics != nil {
		s.metrics.Webhooks.WithLabelValues(provider, kind, result).Inc()
	}
}

func resultOf(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status >= 500:
		return "error"
	case status >= 400:
		return "rejected"
	default:
		return "ok"
	}
}

func twimlResponse(c *gin.Context, xml string) {
	c.Data(http.StatusOK, "text/xml; charset=utf-8", []byte(xml))
}

// badContact answers a provider request whose content is unusable.
func badContact(c *gin.Context, err error) {
	var fe *telephony.FieldError
	if errors.As(err, &fe) {
		problem(c, http.StatusBadRequest, "the request has an invalid field", validation.Error{Field: fe.Field, Reason: fe.Reason})
		return
	}
	fail(c, err)
}

func inbound(ct telephony.Contact) router.Inbound {
	also := make([]string, len(ct.Also))
	for i, id := range ct.Also {
		also[i] = id.Key()
	}
	return router.Inbound{Also: also,
		Source: ct.Provider, Channel: ct.Channel, EventID: ct.EventID, To: ct.To,
		Identity: ct.From.Key(), Region: ct.From.Region, Name: ct.Name, Text: ct.Text, Media: ct.Media,
		Language: ct.Language, Skill: ct.Skill, Attributes: ct.Attributes,
	}
}
