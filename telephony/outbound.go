package telephony

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// TwilioREST makes Switchboard's calls to Twilio's REST API.
type TwilioREST struct {
	rest *twilio.RestClient
}

// NewTwilioREST returns a REST client for the account. baseURL, when set,
// replaces https://api.twilio.com (a proxy, or a local server in tests).
func NewTwilioREST(accountSID, authToken, baseURL string) (*TwilioREST, error) {
	hc := &http.Client{}
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("twilio api base url %q: not an absolute URL", baseURL)
		}
		hc.Transport = rebase{to: u, next: http.DefaultTransport}
	}
	c := &client.Client{Credentials: client.NewCredentials(accountSID, authToken), HTTPClient: hc}
	c.SetAccountSid(accountSID)
	return &TwilioREST{rest: twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})}, nil
}

// rebase sends every request to another scheme and host, keeping the path.
type rebase struct {
	to   *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.to.Scheme, r.to.Host, r.to.Host
	return r.next.RoundTrip(req)
}

// ConnectCall redirects a waiting call to the agent's contact (client:<id>,
// a SIP URI or a phone number).
func (t *TwilioREST) ConnectCall(callSID, contact string) error {
	params := &openapi.UpdateCallParams{}
	params.SetTwiml(DialAgent(contact))
	if _, err := t.rest.Api.UpdateCall(callSID, params); err != nil {
		return fmt.Errorf("connect call %s to %s: %w", callSID, contact, err)
	}
	return nil
}

// SendMessage sends an SMS or WhatsApp message (from and to carry the
// "whatsapp:" prefix for WhatsApp) and returns its MessageSid.
func (t *TwilioREST) SendMessage(from, to, body string, statusCallback string) (string, error) {
	params := &openapi.CreateMessageParams{}
	params.SetFrom(from)
	params.SetTo(to)
	params.SetBody(body)
	if statusCallback != "" {
		params.SetStatusCallback(statusCallback)
	}
	m, err := t.rest.Api.CreateMessage(params)
	if err != nil {
		return "", fmt.Errorf("send message to %s: %w", to, err)
	}
	if m.Sid == nil {
		return "", fmt.Errorf("send message to %s: no sid in the reply", to)
	}
	return *m.Sid, nil
}
