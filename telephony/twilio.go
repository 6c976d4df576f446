package telephony

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"
)

// Twilio checks and parses Twilio's webhooks.
type Twilio struct {
	validator     client.RequestValidator
	baseURL       string // the public URL Twilio calls, without a trailing slash
	defaultRegion string
}

// NewTwilio returns the Twilio adapter. baseURL is the public URL configured
// in Twilio's console: signatures cover the exact URL Twilio called.
func NewTwilio(authToken, baseURL, defaultRegion string) *Twilio {
	return &Twilio{validator: client.NewRequestValidator(authToken), baseURL: baseURL, defaultRegion: defaultRegion}
}

// Verify checks X-Twilio-Signature for a form POST to pathAndQuery (the path
// and query string of the request as received, which the proxy must pass on
// unchanged).
func (t *Twilio) Verify(pathAndQuery string, form url.Values, signature string) bool {
	if signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	return t.validator.Validate(t.baseURL+pathAndQuery, params, signature)
}

var (
	callSIDRe    = regexp.MustCompile(`^CA[0-9a-fA-F]{32}$`)
	messageSIDRe = regexp.MustCompile(`^(SM|MM)[0-9a-fA-F]{32}$`)
	accountSIDRe = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
)

func required(form url.Values, field string, re *regexp.Regexp) (string, error) {
	v := form.Get(field)
	if v == "" {
		return "", invalid(field, "is required")
	}
	if re != nil && !re.MatchString(v) {
		return "", invalid(field, "is not a Twilio id")
	}
	return v, nil
}

// ParseVoice reads an incoming call webhook.
func (t *Twilio) ParseVoice(form url.Values) (Contact, error) {
	sid, err := required(form, "CallSid", callSIDRe)
	if err != nil {
		return Contact{}, err
	}
	acct, err := required(form, "AccountSid", accountSIDRe)
	if err != nil {
		return Contact{}, err
	}
	c := Contact{Provider: "twilio", Account: acct, Channel: "voice", EventID: sid, CallSID: sid,
		To: form.Get("To"), Attributes: map[string]string{"call_sid": sid}}
	from := form.Get("From")
	switch {
	case from == "" || strings.EqualFold(from, "anonymous") || strings.HasPrefix(from, "client:") || strings.HasPrefix(from, "sip:"):
		c.From = Identity{Kind: "anonymous", Value: sid}
	default:
		if c.From, err = PhoneIdentity(from, t.defaultRegion); err != nil {
			return Contact{}, invalid("From", "%v", err)
		}
	}
	if name := form.Get("CallerName"); name != "" {
		if c.Name, err = cleanText("CallerName", name); err != nil {
			return Contact{}, err
		}
	}
	return c, nil
}

// CallStatus is a voice status callback.
type CallStatus struct {
	CallSID string
	Status  string
	// Ended is true when the call is over (completed, canceled, busy, failed,
	// no-answer): a caller still waiting has hung up.
	Ended bool
}

var endedStatuses = []string{"completed", "canceled", "busy", "failed", "no-answer"}

// ParseVoiceStatus reads a voice status callback.
func (t *Twilio) ParseVoiceStatus(form url.Values) (CallStatus, error) {
	sid, err := required(form, "CallSid", callSIDRe)
	if err != nil {
		return CallStatus{}, err
	}
	st := form.Get("CallStatus")
	switch st {
	case "queued", "ringing", "in-progress", "completed", "canceled", "busy", "failed", "no-answer":
	default:
		return CallStatus{}, invalid("CallStatus", "unknown status %q", st)
	}
	return CallStatus{CallSID: sid, Status: st, Ended: slices.Contains(endedStatuses, st)}, nil
}

// ParseMessage reads an incoming SMS or WhatsApp message.
func (t *Twilio) ParseMessage(form url.Values) (Contact, error) {
	sid, err := required(form, "MessageSid", messageSIDRe)
	if err != nil {
		return Contact{}, err
	}
	acct, err := required(form, "AccountSid", accountSIDRe)
	if err != nil {
		return Contact{}, err
	}
	from, err := required(form, "From", nil)
	if err != nil {
		return Contact{}, err
	}
	c := Contact{Provider: "twilio", Account: acct, Channel: "sms", EventID: sid, To: form.Get("To"),
		Attributes: map[string]string{"message_sid": sid, "to": form.Get("To")}}
	if strings.HasPrefix(from, "whatsapp:") {
		c.Channel = "whatsapp"
	}
	if c.From, err = PhoneIdentity(from, t.defaultRegion); err != nil {
		return Contact{}, invalid("From", "%v", err)
	}
	if c.Text, err = cleanText("Body", form.Get("Body")); err != nil {
		return Contact{}, err
	}
	if name := form.Get("ProfileName"); name != "" { // WhatsApp profile
		if c.Name, err = cleanText("ProfileName", name); err != nil {
			return Contact{}, err
		}
	}
	n := 0
	if v := form.Get("NumMedia"); v != "" {
		for _, r := range v {
			if r < '0' || r > '9' || n > 10 {
				return Contact{}, invalid("NumMedia", "must be a number up to 10")
			}
			n = n*10 + int(r-'0')
		}
	}
	for i := range n {
		u := form.Get("MediaUrl" + string(rune('0'+i)))
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" {
			return Contact{}, invalid("MediaUrl"+string(rune('0'+i)), "must be an https URL")
		}
		c.Media = append(c.Media, u)
	}
	return c, nil
}

// MessageStatus is a messaging status callback.
type MessageStatus struct {
	MessageSID, Status, ErrorCode string
	Failed                        bool
}

// ParseMessageStatus reads a messaging status callback.
func (t *Twilio) ParseMessageStatus(form url.Values) (MessageStatus, error) {
	sid, err := required(form, "MessageSid", messageSIDRe)
	if err != nil {
		return MessageStatus{}, err
	}
	st := form.Get("MessageStatus")
	switch st {
	case "accepted", "scheduled", "queued", "sending", "sent", "delivered", "read", "receiving", "received", "undelivered", "failed", "canceled":
	default:
		return MessageStatus{}, invalid("MessageStatus", "unknown status %q", st)
	}
	return MessageStatus{MessageSID: sid, Status: st, ErrorCode: form.Get("ErrorCode"),
		Failed: st == "failed" || st == "undelivered"}, nil
}

// Hold is the TwiML for a caller put in the queue: the greeting in their
// language, then hold music until the call is redirected to an agent.
func Hold(greeting, lang, musicURL string) string {
	var verbs []twiml.Element
	if greeting != "" {
		verbs = append(verbs, &twiml.VoiceSay{Message: greeting, Language: sayLanguage(lang)})
	}
	if musicURL != "" {
		verbs = append(verbs, &twiml.VoicePlay{Url: musicURL, Loop: "0"})
	} else {
		verbs = append(verbs, &twiml.VoicePause{Length: "3600"})
	}
	return render(verbs)
}

// Menu is the TwiML of one IVR step: say prompt, gather one digit, post it to action.
func Menu(prompt, lang, action string) string {
	gather := &twiml.VoiceGather{Input: "dtmf", NumDigits: "1", Timeout: "6", Action: action, Method: "POST",
		InnerElements: []twiml.Element{&twiml.VoiceSay{Message: prompt, Language: sayLanguage(lang)}}}
	// No digit: the action is called without one and the default applies.
	return render([]twiml.Element{gather, &twiml.VoiceRedirect{Url: action, Method: "POST"}})
}

// DialAgent is the TwiML that connects a waiting caller to an agent's
// contact: a client identity, a SIP URI or a phone number.
func DialAgent(contact string) string {
	dial := &twiml.VoiceDial{AnswerOnBridge: "true"}
	switch {
	case strings.HasPrefix(contact, "client:"):
		dial.InnerElements = []twiml.Element{&twiml.VoiceClient{Identity: strings.TrimPrefix(contact, "client:")}}
	case strings.HasPrefix(contact, "sip:"), strings.HasPrefix(contact, "sips:"):
		dial.InnerElements = []twiml.Element{&twiml.VoiceSip{SipUrl: contact}}
	default:
		dial.InnerElements = []twiml.Element{&twiml.VoiceNumber{PhoneNumber: contact}}
	}
	return render([]twiml.Element{dial})
}

// Say is TwiML that says text and hangs up.
func Say(text, lang string) string {
	return render([]twiml.Element{&twiml.VoiceSay{Message: text, Language: sayLanguage(lang)}, &twiml.VoiceHangup{}})
}

func render(verbs []twiml.Element) string {
	s, err := twiml.Voice(verbs)
	if err != nil { // only on an encoder failure, which plain values cannot cause
		return `<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, an error occurred.</Say></Response>`
	}
	return s
}

// sayLanguage maps our language tags to the voices <Say> knows.
func sayLanguage(lang string) string {
	switch strings.ToLower(lang) {
	case "en":
		return "en-US"
	case "es":
		return "es-ES"
	case "fr":
		return "fr-FR"
	case "pt":
		return "pt-BR"
	default:
		return lang
	}
}

// Closed is the TwiML for a caller whose queue is closed: the message, and a
// callback offer (one digit posted to action) when there is a prompt.
func Closed(message, callbackPrompt, lang, action string) string {
	verbs := []twiml.Element{&twiml.VoiceSay{Message: message, Language: sayLanguage(lang)}}
	if callbackPrompt != "" {
		verbs = append(verbs, &twiml.VoiceGather{Input: "dtmf", NumDigits: "1", Timeout: "6", Action: action, Method: "POST",
			InnerElements: []twiml.Element{&twiml.VoiceSay{Message: callbackPrompt, Language: sayLanguage(lang)}}})
	}
	return render(append(verbs, &twiml.VoiceHangup{}))
}

// Reply is the TwiML that answers an incoming message with text ("" for none).
func Reply(text string) string {
	var verbs []twiml.Element
	if text != "" {
		verbs = append(verbs, &twiml.MessagingMessage{Body: text})
	}
	s, err := twiml.Messages(verbs)
	if err != nil {
		return `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`
	}
	return s
}
