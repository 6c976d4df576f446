package telephony

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the generic webhook's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the source's secret>".
const SignatureHeader = "X-Switchboard-Signature"

// SignatureTolerance is how far a signature's time may be from ours; it
// bounds replays of a captured request.
const SignatureTolerance = 5 * time.Minute

// Sign returns the signature header value for body at time t.
func Sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyGeneric checks a generic webhook's signature header at time now.
func VerifyGeneric(secret string, body []byte, header string, now time.Time) bool {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return false
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs { // several v1 entries allow rotating secrets
		ok = hmac.Equal(s, want) || ok
	}
	return ok
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
	cu := m.Customer
	switch {
	case cu.Phone != "":
		if c.From, err = PhoneIdentity(cu.Phone, g.DefaultRegion); err != nil {
			return Contact{}, invalid("customer.phone", "%v", err)
		}
	case cu.Email != "":
		if c.From, err = EmailIdentity(cu.Email); err != nil {
			return Contact{}, invalid("customer.email", "%v", err)
		}
	case cu.Handle != "":
		if c.From, err = SocialIdentity(g.Network, cu.Handle); err != nil {
			return Contact{}, invalid("customer.handle", "%v", err)
		}
	case cu.ID != "":
		if c.From, err = WebIdentity(cu.ID); err != nil {
			return Contact{}, invalid("customer.id", "%v", err)
		}
	default:
		return Contact{}, invalid("customer", "needs a phone, email, handle or id")
	}
	if c.Channel == "email" && c.From.Kind != "email" {
		return Contact{}, invalid("customer.email", "is required on the email channel")
	}
	if c.Channel == "social" && c.From.Kind != "social" {
		return Contact{}, invalid("customer.handle", "is required on the social channel")
	}
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
