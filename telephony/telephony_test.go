package telephony

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/twiliotest"
)

// Twilio's published example (twilio.com/docs/usage/security): auth token
// 12345, this URL and these parameters sign to vOEb5UThFn24KEfnOFLQY2AE5FY=.
func TestTwilioPublishedVector(t *testing.T) {
	tw := NewTwilio("12345", "https://mycompany.com", "US")
	form := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"},
		"ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	if !tw.Verify("/myapp.php?foo=1&bar=2", form, "vOEb5UThFn24KEfnOFLQY2AE5FY=") {
		t.Fatal("the published vector does not verify")
	}
	form.Set("Digits", "1235")
	if tw.Verify("/myapp.php?foo=1&bar=2", form, "vOEb5UThFn24KEfnOFLQY2AE5FY=") {
		t.Fatal("a changed parameter verifies")
	}
}

func TestTwilioSignatureRefusals(t *testing.T) {
	const token = "f0e1d2c3b4a59687f0e1d2c3b4a59687"
	base := "https://sb.example.com"
	tw := NewTwilio(token, base, "US")
	form := url.Values{"CallSid": {"CA" + strings.Repeat("a", 32)}, "From": {"+34600111222"}, "To": {"+34910000000"}}
	good := twiliotest.Sign(token, base+"/webhooks/twilio/voice", form)
	if !tw.Verify("/webhooks/twilio/voice", form, good) {
		t.Fatal("our own signature does not verify")
	}
	changed := url.Values{"CallSid": form["CallSid"], "From": {"+34600111223"}, "To": form["To"]}
	cases := map[string]bool{
		"wrong token":       tw.Verify("/webhooks/twilio/voice", form, twiliotest.Sign("wrong", base+"/webhooks/twilio/voice", form)),
		"changed parameter": tw.Verify("/webhooks/twilio/voice", changed, good),
		"wrong URL":         tw.Verify("/webhooks/twilio/messaging", form, good),
		"replay, new body":  tw.Verify("/webhooks/twilio/voice", changed, twiliotest.Sign(token, base+"/webhooks/twilio/voice", form)),
		"missing":           tw.Verify("/webhooks/twilio/voice", form, ""),
		"other host":        NewTwilio(token, "https://evil.example.com", "US").Verify("/webhooks/twilio/voice", form, good),
	}
	for name, ok := range cases {
		if ok {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestGenericSignature(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	secret := "0123456789abcdef0123"
	body := []byte(`{"id":"e1","customer":{"id":"v1"},"text":"hi"}`)
	h := Sign(secret, body, now)
	if !VerifyGeneric(secret, body, h, now.Add(time.Minute)) {
		t.Fatal("own signature refused")
	}
	cases := map[string]bool{
		"other body":   VerifyGeneric(secret, []byte(`{"id":"e2"}`), h, now),
		"other secret": VerifyGeneric("another-secret-0000", body, h, now),
		"too old":      VerifyGeneric(secret, body, h, now.Add(6*time.Minute)),
		"future":       VerifyGeneric(secret, body, h, now.Add(-6*time.Minute)),
		"garbage":      VerifyGeneric(secret, body, "t=x,v1=zz", now),
		"empty":        VerifyGeneric(secret, body, "", now),
	}
	for name, ok := range cases {
		if ok {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestIdentities(t *testing.T) {
	cases := []struct {
		got  func() (Identity, error)
		want string
		reg  string
	}{
		{func() (Identity, error) { return PhoneIdentity("whatsapp:+34600111222", "US") }, "phone:+34600111222", "ES"},
		{func() (Identity, error) { return PhoneIdentity("+34 600 11 12 22", "US") }, "phone:+34600111222", "ES"},
		{func() (Identity, error) { return PhoneIdentity("(415) 867-5309", "US") }, "phone:+14158675309", "US"},
		{func() (Identity, error) { return PhoneIdentity("06 12 34 56 78", "FR") }, "phone:+33612345678", "FR"},
		{func() (Identity, error) { return EmailIdentity("Ana Silva <Ana.Silva@Example.COM>") }, "email:ana.silva@example.com", ""},
		{func() (Identity, error) { return SocialIdentity("twitter", "@Ana_99") }, "social:x:ana_99", ""},
		{func() (Identity, error) { return SocialIdentity("instagram", "ana.s") }, "social:instagram:ana.s", ""},
	}
	for i, c := range cases {
		id, err := c.got()
		if err != nil || id.Key() != c.want || id.Region != c.reg {
			t.Errorf("case %d: %+v %v, want %s %s", i, id, err, c.want, c.reg)
		}
	}
	for _, bad := range []string{"12", "hello", "+999999999999999999"} {
		if _, err := PhoneIdentity(bad, "US"); err == nil {
			t.Errorf("%q accepted as a phone", bad)
		}
	}
}

func TestParseMessage(t *testing.T) {
	tw := NewTwilio("t", "https://x", "US")
	form := url.Values{"MessageSid": {"SM" + strings.Repeat("b", 32)}, "AccountSid": {"AC" + strings.Repeat("c", 32)},
		"From": {"whatsapp:+34600111222"}, "To": {"whatsapp:+14155238886"}, "Body": {"Hola"},
		"NumMedia": {"1"}, "MediaUrl0": {"https://api.twilio.com/media/1"}}
	c, err := tw.ParseMessage(form)
	if err != nil || c.Channel != "whatsapp" || c.From.Key() != "phone:+34600111222" || len(c.Media) != 1 || c.Text != "Hola" {
		t.Fatalf("%+v %v", c, err)
	}
	form.Set("Body", "\xff")
	if _, err := tw.ParseMessage(form); err == nil || !strings.HasPrefix(err.Error(), "Body:") {
		t.Fatalf("bad UTF-8: %v", err)
	}
}

func TestTwiML(t *testing.T) {
	hold := Hold("Gracias por llamar.", "es", "https://example.com/music.mp3")
	for _, want := range []string{`<Say language="es-ES">Gracias por llamar.</Say>`, `<Play loop="0">https://example.com/music.mp3</Play>`} {
		if !strings.Contains(hold, want) {
			t.Errorf("hold TwiML %s lacks %s", hold, want)
		}
	}
	if d := DialAgent("client:ana"); !strings.Contains(d, `<Client>ana</Client>`) || !strings.Contains(d, `answerOnBridge="true"`) {
		t.Errorf("dial: %s", d)
	}
	if d := DialAgent("sip:ana@pbx.example.com"); !strings.Contains(d, `<Sip>sip:ana@pbx.example.com</Sip>`) {
		t.Errorf("dial sip: %s", d)
	}
}

func TestGenericIdentities(t *testing.T) {
	g := Generic{Name: "mailgate", Channels: []string{"email", "chat"}, DefaultRegion: "ES"}
	c, err := g.Parse([]byte(`{"id":"m1","channel":"email","customer":{"phone":"600111222","email":"Ana@Example.com"},"text":"hola"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.From.Key() != "email:ana@example.com" || len(c.Also) != 1 || c.Also[0].Key() != "phone:+34600111222" {
		t.Fatalf("identities %+v %+v", c.From, c.Also)
	}
	if _, err := g.Parse([]byte(`{"id":"m2","channel":"email","customer":{"id":"v1"}}`)); err == nil || !strings.HasPrefix(err.Error(), "customer.email:") {
		t.Fatalf("email without address: %v", err)
	}
}
