package api

import "testing"

func TestBadTextNamesTheField(t *testing.T) {
	for _, c := range []struct{ body, field, reason string }{
		{"{\"channel\":\"chat\",\"customer\":{\"name\":\"L\xffa\"}}", "customer.name", "is not valid UTF-8"},
		{`{"attributes":{"a":"x","b":["ok","\u0000"]}}`, "attributes.b[1]", "contains a NUL character"},
		{"{\"text\":\"a\x00b\"}", "text", "contains a NUL character"},
		{"{\"k\xfe\":\"v\"}", "k\ufffd", "is not valid UTF-8"},
	} {
		field, reason, bad := badText([]byte(c.body))
		if !bad || field != c.field || reason != c.reason {
			t.Errorf("%q: %q %q %v, want %q %q", c.body, field, reason, bad, c.field, c.reason)
		}
	}
	if _, _, bad := badText([]byte(`{"text":"¡Hola! \\u00e9"}`)); bad {
		t.Error("valid text refused")
	}
}
