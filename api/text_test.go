package api

import "testing"

func TestBadTextNamesTheField(t *testing.T) {
	for _, c := range []struct{ body, field, reason string }{
		{"{\"channel\":\"chat\",\"customer\":{\"name\":\"L\xffa\"}}", "customer.name", "is not valid UTF-8"},
		{`{"attributes":{"a":"x","b":["ok","\u0000"]}}`, "attributes.b[1]", "contains a NUL character"},
		{"{\"text\":\"a\x00b\"}", "text", "contains a NUL character"},
		{"{\"k\xfe\":\"v\"}", "k\ufffd", "is not valid UTF-8"},
		{`{"attributes":{"a":"\ud800"}}`, "attributes.a", "holds half of a UTF-16 surrogate pair: not a character"},
		{`{"customer":{"name":"x\uDC00"}}`, "customer.name", "holds half of a UTF-16 surrogate pair: not a character"},
		{`{"text":"\ud83d\ude00\ud800"}`, "text", "holds half of a UTF-16 surrogate pair: not a character"},
	} {
		field, reason, bad := badText([]byte(c.body))
		if !bad || field != c.field || reason != c.reason {
			t.Errorf("%q: %q %q %v, want %q %q", c.body, field, reason, bad, c.field, c.reason)
		}
	}
	if _, _, bad := badText([]byte(`{"text":"¡Hola! \u00e9 \ud83d\ude00 \\ud800 \\\ud83d\ude00"}`)); bad {
		t.Error("valid text refused")
	}
}
