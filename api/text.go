package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// badText finds, in a JSON body, the first byte that is not valid UTF-8 or
// a NUL (raw, or escaped as \u0000), and names the field whose value (or
// key) holds it. The JSON decoder would quietly replace the first with
// U+FFFD in strings and keep it in raw fields; text with NULs breaks logs
// and downstream systems.
func badText(body []byte) (field, reason string, found bool) {
	off := -1
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			off, reason = i, "is not valid UTF-8"
			break
		}
		i += size
	}
	for _, nul := range [][]byte{{0}, []byte(`\u0000`)} {
		if j := bytes.Index(body, nul); j >= 0 && (off < 0 || j < off) {
			off, reason = j, "contains a NUL character"
		}
	}
	if off < 0 {
		return "", "", false
	}
	return jsonPathAt(body, off), reason, true
}

// jsonPathAt is the path (a.b[2].c) of the value or key that holds byte off.
func jsonPathAt(body []byte, off int) string {
	type frame struct {
		obj, wantKey bool
		key          string
		i            int
	}
	var st []frame
	name := func() string {
		var b bytes.Buffer
		for _, f := range st {
			if f.obj {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				fmt.Fprintf(&b, "[%d]", f.i)
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	done := func() {
		if n := len(st); n > 0 {
			if st[n-1].obj {
				st[n-1].wantKey = true
			} else {
				st[n-1].i++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return name()
		}
		past := dec.InputOffset() > int64(off)
		if n := len(st); n > 0 && st[n-1].obj && st[n-1].wantKey {
			if k, ok := tok.(string); ok {
				st[n-1].key, st[n-1].wantKey = k, false
				if past {
					return name()
				}
				continue
			}
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{':
				st = append(st, frame{obj: true, wantKey: true})
			case '[':
				st = append(st, frame{})
			default:
				st = st[:len(st)-1]
				done()
			}
		default:
			if past {
				return name()
			}
			done()
		}
	}
}
