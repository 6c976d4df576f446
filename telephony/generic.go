package telephony

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/signature"
)

// SignatureHeader carries the generic webhook's signature (see package signature).
const SignatureHeader = signature.Header

// Sign returns the signature header value for body at time t.
func Sign(secret string, body []byte, t time.Time) string { return signature.Sign(secret, body, t) }

// VerifyGeneric checks a generic webhook's signature header at time now.
func VerifyGeneric(secret string, body []byte, header string, now time.Time) bool {
	return signature.Verify(secret, body, header, now)
}

// GenericMessage is the generic webhook's JSON body.
type GenericMessage struct {
	ID         string            `json:"id"`
	Channel    string            `json:"channel"`
	Customer   GenericCustomer   `json:"customer"`
	Text       string            `json:"text"`
	Language   string            `json:"language"`
	Skill      string            `json:"skill"`
	Attributes map[string]string `json:"attributes"`
}

// GenericCustomer identifies the sender; the first of phone, email, handle and
// id that is given is the identity.
type GenericCustomer struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Phone  string `json:"phone"`
	Handle string `json:"handle"`
}

var eventIDRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// Generic parses the generic webhook of one source.
type Generic struct {
	Name          string
	Channels      []string
	Network       string
	DefaultRegion string
}

// Parse reads a generic webhook body.
func (g Generic) Parse(body []byte) (Contact, error) {
	// encoding/json would quietly replace invalid UTF-8; refuse it instead.
	if !utf8.Valid(body) {
		return Contact{}, invalid("body", "is not valid UTF-8")
	}
	var m GenericMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Contact{}, invalid(te.Field, "has the wrong type")
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return Contact{}, invalid(strings.Trim(f, `"`), "unknown field")
		}
		return Contact{}, invalid("body", "is not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Contact{}, invalid("body", "has data after the JSON object")
	}
	if !eventIDRe.MatchString(m.ID) {
		return Contact{}, invalid("id", "is required: the event's unique id (letters, digits, . _ : -)")
	}
	if m.Channel == "" && len(g.Channels) > 0 {
		m.Channel = g.Channels[0]
	}
	if !slices.Contains(g.Channels, m.Channel) {
		return Contact{}, invalid("channel", "source %s sends only %s", g.Name, strings.Join(g.Channels, ", "))
	}
	c := Contact{Provider: g.Name, Account: g.Name, Channel: m.Channel, EventID: m.ID,
		Language: m.Language, Skill: m.Skill, Attributes: m.Attributes}
	var err error
	if c.Text, err = cleanText("text", m.Text); err != nil {
		return Contact{}, err
	}
	if c.Name, err = cleanText("customer.name", m.Customer.Name); err != nil {
		return Contact{}, err
	}
	if len(c.Name) > 200 {
		return Contact{}, invalid("customer.name", "is longer than 200 bytes")
	}
	// Every identity given is linked to the same customer; the channel's own
	// kind (e-mail, social) is the primary one, else phone, e-mail, handle, id.
	cu := m.Customer
	var ids []Identity
	add := func(field string, parse func() (Identity, error)) error {
		id, err := parse()
		if err != nil {
			return invalid(field, "%v", err)
		}
		ids = append(ids, id)
		return nil
	}
	for _, f := range []struct {
		field, value string
		parse        func() (Identity, error)
	}{
		{"customer.phone", cu.Phone, func() (Identity, error) { return PhoneIdentity(cu.Phone, g.DefaultRegion) }},
		{"customer.email", cu.Email, func() (Identity, error) { return EmailIdentity(cu.Email) }},
		{"customer.handle", cu.Handle, func() (Identity, error) { return SocialIdentity(g.Network, cu.Handle) }},
		{"customer.id", cu.ID, func() (Identity, error) { return WebIdentity(cu.ID) }},
	} {
		if f.value != "" {
			if err := add(f.field, f.parse); err != nil {
				return Contact{}, err
			}
		}
	}
	if len(ids) == 0 {
		return Contact{}, invalid("customer", "needs a phone, email, handle or id")
	}
	want := map[string]string{"email": "email", "social": "social"}[c.Channel]
	if want != "" {
		k := slices.IndexFunc(ids, func(id Identity) bool { return id.Kind == want })
		if k < 0 {
			field := map[string]string{"email": "customer.email", "social": "customer.handle"}[want]
			return Contact{}, invalid(field, "is required on the %s channel", c.Channel)
		}
		ids[0], ids[k] = ids[k], ids[0]
	}
	c.From, c.Also = ids[0], ids[1:]
	if len(m.Attributes) > 50 {
		return Contact{}, invalid("attributes", "at most 50")
	}
	for k, v := range m.Attributes {
		if len(k) > 64 || len(v) > 1024 || !eventIDRe.MatchString(k) {
			return Contact{}, invalid("attributes."+k, "keys are up to 64 id characters, values up to 1024 bytes")
		}
	}
	return c, nil
}
