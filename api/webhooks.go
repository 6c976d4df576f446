package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/config"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/telephony"
	"switchboard/validation"
)

// TwilioAPI is what Switchboard asks of Twilio's REST API.
type TwilioAPI interface {
	ConnectCall(callSID, contact string) error
	SendMessage(from, to, body, statusCallback string) (string, error)
}

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

func (s *Server) webhookRoutes(e *gin.Engine) {
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
func (s *Server) twilioForm(kind string, next func(*gin.Context, url.Values)) gin.HandlerFunc {
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

func (s *Server) countWebhook(provider, kind, result string) {
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

func (s *Server) twilioVoice(c *gin.Context, form url.Values) {
	ct, err := s.twilio.ParseVoice(form)
	if err != nil {
		badContact(c, err)
		return
	}
	if ivr := s.cfg.Voice.IVR; ivr != nil && len(ivr.Languages) > 0 {
		twimlResponse(c, telephony.Menu(ivr.LanguagePrompt, s.cfg.Customers.DefaultLanguage, "/webhooks/twilio/voice/ivr?step=language"))
		return
	}
	s.queueCall(c, ct, router.IVRChoice{})
}

// twilioIVR takes the caller's menu choices: a language, then a skill. The
// task is created once both are known (or defaulted), idempotent by CallSid.
func (s *Server) twilioIVR(c *gin.Context, form url.Values) {
	ct, err := s.twilio.ParseVoice(form)
	if err != nil {
		badContact(c, err)
		return
	}
	ivr := s.cfg.Voice.IVR
	if ivr == nil {
		problem(c, http.StatusNotFound, "no IVR is configured")
		return
	}
	digit := form.Get("Digits")
	switch c.Query("step") {
	case "language":
		lang := ivr.Languages[digit]
		if lang == "" {
			lang = s.cfg.Customers.DefaultLanguage
		}
		if len(ivr.Skills) == 0 {
			s.queueCall(c, ct, router.IVRChoice{Language: lang})
			return
		}
		twimlResponse(c, telephony.Menu(ivr.SkillPrompt[lang], lang, "/webhooks/twilio/voice/ivr?step=skill&language="+url.QueryEscape(lang)))
	case "skill":
		s.queueCall(c, ct, router.IVRChoice{Language: c.Query("language"), Skill: ivr.Skills[digit]})
	default:
		problem(c, http.StatusBadRequest, "unknown IVR step", validation.Error{Field: "step", Reason: "must be language or skill"})
	}
}

func (s *Server) queueCall(c *gin.Context, ct telephony.Contact, ivr router.IVRChoice) {
	in := inbound(ct)
	in.IVR = ivr
	if !s.limit(c, "customer", in.Identity, s.webhookCustomerLimit) {
		return
	}
	// A closed queue does not keep callers on hold: it says so and offers a
	// callback, which becomes a task when the caller asks for it.
	dest, err := s.router.Resolve(in)
	if err != nil {
		fail(c, err)
		return
	}
	if dest.Closed {
		v := s.cfg.Voice
		action := "/webhooks/twilio/voice/callback?language=" + url.QueryEscape(dest.Language) +
			"&ivr_language=" + url.QueryEscape(ivr.Language) + "&ivr_skill=" + url.QueryEscape(ivr.Skill)
		twimlResponse(c, telephony.Closed(v.Closed[dest.Language], v.CallbackPrompt[dest.Language], dest.Language, action))
		return
	}
	got, err := s.router.IngestTo(c.Request.Context(), in, dest)
	if err != nil {
		fail(c, err)
		return
	}
	twimlResponse(c, telephony.Hold(s.cfg.Voice.Greeting[got.Language], got.Language, s.cfg.Voice.HoldMusicURL))
}

// twilioCallback takes a closed-hours caller's answer to the callback offer:
// 1 makes a callback task (idempotent by CallSid) for when the queue opens.
func (s *Server) twilioCallback(c *gin.Context, form url.Values) {
	ct, err := s.twilio.ParseVoice(form)
	if err != nil {
		badContact(c, err)
		return
	}
	lang := c.Query("language")
	if form.Get("Digits") != "1" || ct.From.Kind != "phone" {
		twimlResponse(c, telephony.Say("", lang))
		return
	}
	in := inbound(ct)
	in.EventID = ct.CallSID + ":callback"
	in.IVR = router.IVRChoice{Language: c.Query("ivr_language"), Skill: c.Query("ivr_skill")}
	in.Attributes = map[string]string{"callback": "true", "callback_number": ct.From.Value}
	if _, err := s.router.Ingest(c.Request.Context(), in); err != nil {
		fail(c, err)
		return
	}
	twimlResponse(c, telephony.Say(s.cfg.Voice.CallbackConfirm[lang], lang))
}

// closedReply is the automatic answer to a new conversation that arrives
// while its queue is closed: when to expect an answer, that is the first
// response's due time, but not before the queue opens (a calendar-time
// target may fall due while it is still closed).
func (s *Server) closedReply(got router.Ingested) string {
	text := s.cfg.Customers.ClosedReply[got.Language]
	if !got.Closed || got.Joined || got.Duplicate || text == "" {
		return ""
	}
	expect := got.NextOpen
	for _, clk := range got.Task.Clocks {
		if clk.Name == "first_response" && clk.DueAt.After(expect) {
			expect = clk.DueAt
		}
	}
	loc := time.UTC
	if q, ok := s.cfg.Queue(got.Task.Queue); ok && s.cfg.Calendar(q) != nil {
		loc = s.cfg.Calendar(q).Loc
	}
	return strings.ReplaceAll(text, "{due}", expect.In(loc).Format("02/01 15:04 MST"))
}

func (s *Server) twilioVoiceStatus(c *gin.Context, form url.Values) {
	st, err := s.twilio.ParseVoiceStatus(form)
	if err != nil {
		badContact(c, err)
		return
	}
	if st.Ended {
		// A caller who hangs up while waiting abandons the task; one already
		// with an agent is left for the agent to complete.
		if _, _, err := s.router.Abandon(c.Request.Context(), "twilio", st.CallSID); err != nil && !errors.Is(err, queues.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) twilioMessaging(c *gin.Context, form url.Values) {
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
	got, err := s.router.Ingest(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	twimlResponse(c, telephony.Reply(s.closedReply(got)))
}

func (s *Server) twilioMessageStatus(c *gin.Context, form url.Values) {
	st, err := s.twilio.ParseMessageStatus(form)
	if err != nil {
		badContact(c, err)
		return
	}
	if st.Failed {
		if err := s.router.MessageFailed(c.Request.Context(), st.MessageSID, st.Status, st.ErrorCode); err != nil && !errors.Is(err, queues.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	c.Status(http.StatusNoContent)
}

// generic takes the signed JSON webhook of a configured source.
func (s *Server) generic(c *gin.Context) {
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
	if !telephony.VerifyGeneric(src.Secret, body, c.GetHeader(telephony.SignatureHeader), s.router.Now()) {
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
	got, err := s.router.Ingest(c.Request.Context(), in)
	if err != nil {
		s.countWebhook(provider, kindGeneric, "rejected")
		fail(c, err)
		return
	}
	status := http.StatusCreated
	if got.Joined || got.Duplicate {
		status = http.StatusOK
	}
	s.countWebhook(provider, kindGeneric, "ok")
	answer := gin.H{"task_id": got.Task.ID, "customer_id": got.Task.CustomerID, "queue": got.Task.Queue,
		"joined": got.Joined, "duplicate": got.Duplicate}
	if reply := s.closedReply(got); reply != "" {
		answer["auto_reply"] = reply // for the source to show or send to the customer
	}
	respond(c, status, answer)
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

// Agent replies, conversations and customers --------------------------------

func (s *Server) listMessages(c *gin.Context) {
	t, err := s.router.Task(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if p := principal(c); p.Role == config.RoleAgent && t.Agent != p.AgentID {
		problem(c, http.StatusForbidden, "an agent key may read only its own tasks")
		return
	}
	msgs, err := s.router.Messages(c.Request.Context(), t.ID)
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
	first, err := s.router.Reply(c.Request.Context(), c.Param("id"), actingAgent(c), body.Text, s.send)
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

// upstreamError is a provider's failure: 502 for our caller.
type upstreamError struct{ err error }

func (e *upstreamError) Error() string { return e.err.Error() }
func (e *upstreamError) Unwrap() error { return e.err }

func stringAttributes(raw json.RawMessage) map[string]string {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func (s *Server) customerTimeline(c *gin.Context) {
	cu, err := s.router.Customer(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, cu)
}

// connectCall puts the caller of an accepted voice task through to the agent.
func (s *Server) connectCall(ctx context.Context, t queues.Task) error {
	callSID := stringAttributes(t.Attributes)["call_sid"]
	if t.Channel != "voice" || callSID == "" || s.twilioAPI == nil {
		return nil
	}
	a, err := s.router.Agent(ctx, t.Agent)
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

// findCustomer looks a customer up by ?phone= (any format, read in the
// default region), ?email= or ?identity= (a key such as social:instagram:ana).
func (s *Server) findCustomer(c *gin.Context) {
	var key string
	var err error
	switch {
	case c.Query("phone") != "":
		var id telephony.Identity
		if id, err = telephony.PhoneIdentity(c.Query("phone"), s.cfg.Customers.DefaultRegion); err == nil {
			key = id.Key()
		}
	case c.Query("email") != "":
		var id telephony.Identity
		if id, err = telephony.EmailIdentity(c.Query("email")); err == nil {
			key = id.Key()
		}
	default:
		key = c.Query("identity")
	}
	if err != nil || key == "" {
		reason := "give phone, email or identity"
		if err != nil {
			reason = err.Error()
		}
		problem(c, http.StatusUnprocessableEntity, "no identity to look up", validation.Error{Field: "identity", Reason: reason})
		return
	}
	cu, err := s.router.CustomerByIdentity(c.Request.Context(), key)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, cu)
}

func (s *Server) deadLetters(c *gin.Context) {
	entries, err := s.router.DeadLetters(c.Request.Context(), c.Param("name"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"subscriber": c.Param("name"), "dead_letters": entries})
}
