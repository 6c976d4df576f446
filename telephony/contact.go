// Package telephony holds the provider adapters: each checks a provider's
// signature and turns its request into one normalised Contact; it also makes
// the provider calls back (connect a call, send a message). It knows nothing
// of Redis or of routing.
package telephony

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Contact is one inbound event from a provider, normalised.
type Contact struct {
	Provider string // "twilio" or the generic source's name
	Account  string // the provider account (Twilio AccountSid, or the source)
	Channel  string
	// EventID is the provider's id of this event (CallSid, MessageSid, or the
	// sender's idempotency key): a retried delivery carries the same one.
	EventID string
	CallSID string // voice only
	From    Identity
	// Also are further identities of the same customer given with the contact.
	Also     []Identity
	To       string // the number or address the customer contacted
	Name     string
	Text     string
	Media    []string
	Language string // an explicit language, if the provider gave one
	Skill    string // an explicit skill, if the provider gave one
	// Attributes are extra provider fields worth keeping on the task.
	Attributes map[string]string
}

// Identity is how a customer is recognised on a channel: a phone number in
// E.164 (SMS, WhatsApp and voice share it), an e-mail address, a social
// handle per network, or a web visitor id.
type Identity struct {
	Kind   string `json:"kind"`   // phone, email, social, web, anonymous
	Value  string `json:"value"`  // +34600111222, ana@example.com, instagram:ana_99
	Region string `json:"region"` // a phone number's country (ISO 3166), when known
}

// Key is the identity's stable key, the same for every channel it is used on.
func (i Identity) Key() string { return i.Kind + ":" + i.Value }

// FieldError is an invalid field of a provider request.
type FieldError struct {
	Field, Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// PhoneIdentity parses a phone number (with a "whatsapp:" or "tel:" prefix, or
// none) into its E.164 identity. Numbers without a country code are read in
// defaultRegion.
func PhoneIdentity(raw, defaultRegion string) (Identity, error) {
	s := strings.TrimSpace(raw)
	for _, p := range []string{"whatsapp:", "tel:", "sms:"} {
		s = strings.TrimPrefix(s, p)
	}
	num, err := phonenumbers.Parse(s, defaultRegion)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return Identity{}, fmt.Errorf("%q is not a phone number", raw)
	}
	return Identity{
		Kind:   "phone",
		Value:  phonenumbers.Format(num, phonenumbers.E164),
		Region: phonenumbers.GetRegionCodeForNumber(num),
	}, nil
}

// EmailIdentity parses an e-mail address ("Ana <Ana@Example.com>" too) into a
// lower-cased identity.
func EmailIdentity(raw string) (Identity, error) {
	a, err := mail.ParseAddress(raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%q is not an e-mail address", raw)
	}
	return Identity{Kind: "email", Value: strings.ToLower(a.Address)}, nil
}

var handleRe = regexp.MustCompile(`^[a-z0-9._-]{1,100}$`)

// SocialIdentity is a handle or user id on a social network.
func SocialIdentity(network, handle string) (Identity, error) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	if network == "twitter" {
		network = "x"
	}
	switch network {
	case "facebook", "instagram", "x":
	default:
		return Identity{}, fmt.Errorf("unknown network %q", network)
	}
	if !handleRe.MatchString(h) {
		return Identity{}, fmt.Errorf("%q is not a handle", handle)
	}
	return Identity{Kind: "social", Value: network + ":" + h}, nil
}

var visitorRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// WebIdentity is a chat widget's visitor id.
func WebIdentity(id string) (Identity, error) {
	if !visitorRe.MatchString(id) {
		return Identity{}, fmt.Errorf("%q is not a visitor id", id)
	}
	return Identity{Kind: "web", Value: id}, nil
}

const maxText = 16 << 10

// cleanText checks a message's text: valid UTF-8, bounded.
func cleanText(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid(field, "is not valid UTF-8")
	}
	if len(s) > maxText {
		return "", invalid(field, "is longer than %d bytes", maxText)
	}
	return s, nil
}
