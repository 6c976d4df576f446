package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/calendar"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/telephony"
	"switchboard/validation"
)

func (s webhooksAPI) twilioVoice(c *gin.Context, form url.Values) {
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
func (s webhooksAPI) twilioIVR(c *gin.Context, form url.Values) {
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
		// No key (or one the menu does not offer) is no choice: the other
		// clues decide the language (the number's country, the rule, the
		// default), and the skill menu speaks the one they give.
		lang := ivr.Languages[digit]
		if len(ivr.Skills) == 0 {
			s.queueCall(c, ct, router.IVRChoice{Language: lang})
			return
		}
		speak := lang
		if speak == "" {
			speak = s.cfg.Customers.DefaultLanguage
			if d, err := s.app.Contacts.Resolve(inbound(ct)); err == nil {
				speak = d.Language
			}
		}
		twimlResponse(c, telephony.Menu(ivr.SkillPrompt[speak], speak, "/webhooks/twilio/voice/ivr?step=skill&language="+url.QueryEscape(lang)))
	case "skill":
		s.queueCall(c, ct, router.IVRChoice{Language: c.Query("language"), Skill: ivr.Skills[digit]})
	default:
		problem(c, http.StatusBadRequest, "unknown IVR step", validation.Error{Field: "step", Reason: "must be language or skill"})
	}
}

func (s webhooksAPI) queueCall(c *gin.Context, ct telephony.Contact, ivr router.IVRChoice) {
	in := inbound(ct)
	in.IVR = ivr
	if !s.limit(c, "customer", in.Identity, s.webhookCustomerLimit) {
		return
	}
	// A closed queue does not keep callers on hold: it says so and offers a
	// callback, which becomes a task when the caller asks for it.
	dest, err := s.app.Contacts.Resolve(in)
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
	got, err := s.app.Contacts.IngestTo(c.Request.Context(), in, dest)
	if err != nil {
		fail(c, err)
		return
	}
	twimlResponse(c, telephony.Hold(s.cfg.Voice.Greeting[got.Language], got.Language, s.cfg.Voice.HoldMusicURL))
}

// twilioCallback takes a closed-hours caller's answer to the callback offer:
// 1 makes a callback task (idempotent by CallSid) for when the queue opens.
func (s webhooksAPI) twilioCallback(c *gin.Context, form url.Values) {
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
	in.Callback = true // an outbound call to make once the queue opens
	if _, err := s.app.Contacts.Ingest(c.Request.Context(), in); err != nil {
		fail(c, err)
		return
	}
	twimlResponse(c, telephony.Say(s.cfg.Voice.CallbackConfirm[lang], lang))
}

// closedReply is the automatic answer to a new conversation that arrives
// while its queue is closed: when to expect an answer, that is the first
// response's due time, but not before the queue opens (a calendar-time
// target may fall due while it is still closed).
func (s webhooksAPI) closedReply(got router.Ingested) string {
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
	return strings.ReplaceAll(text, "{due}", calendar.FormatWhen(expect, loc, got.Language))
}

func (s webhooksAPI) twilioVoiceStatus(c *gin.Context, form url.Values) {
	st, err := s.twilio.ParseVoiceStatus(form)
	if err != nil {
		badContact(c, err)
		return
	}
	if st.Ended {
		// A caller who hangs up while waiting abandons the task; one already
		// with an agent is left for the agent to complete.
		if _, _, err := s.app.Contacts.Abandon(c.Request.Context(), "twilio", st.CallSID); err != nil && !errors.Is(err, queues.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	c.Status(http.StatusNoContent)
}
