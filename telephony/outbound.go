package telephony

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// TwilioREST makes Switchboard's calls to Twilio's REST API.
type TwilioREST struct {
	accountSID, authToken string
	transport             http.RoundTripper
}

// NewTwilioREST returns a REST client for the account. baseURL, when set,
// replaces https://api.twilio.com (a proxy, or a local server in tests).
func NewTwilioREST(accountSID, authToken, baseURL string) (*TwilioREST, error) {
	t := &TwilioREST{accountSID: accountSID, authToken: authToken, transport: http.DefaultTransport}
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("twilio api base url %q: not an absolute URL", baseURL)
		}
		t.transport = rebase{to: u, next: http.DefaultTransport}
	}
	return t, nil
}

// api returns the REST API bound to ctx: twilio-go's calls take no context,
// so each call gets a client whose transport carries ctx (its deadline ends
// the request, and a caller that leaves cancels it).
func (t *TwilioREST) api(ctx context.Context) *openapi.ApiService {
	hc := &http.Client{Transport: withContext{ctx: ctx, next: t.transport}}
	c := &client.Client{Credentials: client.NewCredentials(t.accountSID, t.authToken), HTTPClient: hc}
	c.SetAccountSid(t.accountSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}).Api
}

// withContext sends each request under ctx.
type withContext struct {
	ctx  context.Context
	next http.RoundTripper
}

func (w withContext) RoundTrip(req *http.Request) (*http.Response, error) {
	return w.next.RoundTrip(req.WithContext(w.ctx))
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

// APIError is a refusal from Twilio's REST API.
type APIError struct {
	Op     string
	Status int // HTTP status
	Code   int // Twilio's error code
	Msg    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: twilio answered %d (error %d): %s", e.Op, e.Status, e.Code, e.Msg)
}

// Permanent reports a refusal no retry can mend: a 4xx other than a
// timeout or a rate limit.
func (e *APIError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// Gone reports that the call no longer exists or is over (the caller hung
// up): Twilio's 404, or error 21220 (call not in progress).
func (e *APIError) Gone() bool { return e.Status == http.StatusNotFound || e.Code == 21220 }

func apiError(op string, err error) error {
	var re *client.TwilioRestError
	if errors.As(err, &re) {
		return &APIError{Op: op, Status: re.Status, Code: re.Code, Msg: re.Message}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ConnectCall redirects a waiting call to the agent's contact (client:<id>,
// a SIP URI or a phone number).
func (t *TwilioREST) ConnectCall(ctx context.Context, callSID, contact string) error {
	params := &openapi.UpdateCallParams{}
	params.SetTwiml(DialAgent(contact))
	if _, err := t.api(ctx).UpdateCall(callSID, params); err != nil {
		return apiError("connect call "+callSID+" to "+contact, err)
	}
	return nil
}

// SendMessage sends an SMS or WhatsApp message (from and to carry the
// "whatsapp:" prefix for WhatsApp) and returns its MessageSid.
func (t *TwilioREST) SendMessage(ctx context.Context, from, to, body string, statusCallback string) (string, error) {
	params := &openapi.CreateMessageParams{}
	params.SetFrom(from)
	params.SetTo(to)
	params.SetBody(body)
	if statusCallback != "" {
		params.SetStatusCallback(statusCallback)
	}
	m, err := t.api(ctx).CreateMessage(params)
	if err != nil {
		return "", apiError("send message to "+to, err)
	}
	if m.Sid == nil {
		return "", fmt.Errorf("send message to %s: no sid in the reply", to)
	}
	return *m.Sid, nil
}
