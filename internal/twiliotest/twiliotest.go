// Package twiliotest signs requests the way Twilio does, written apart from
// the library the service uses, so that tests check one against the other.
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// Sign returns X-Twilio-Signature for a POST of form to fullURL: HMAC-SHA1,
// keyed by the auth token, of the URL followed by the sorted parameters'
// names and values, in base64.
func Sign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
