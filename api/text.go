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
	if j := loneSurrogate(body); j >= 0 && (off < 0 || j < off) {
		off, reason = j, "holds half of a UTF-16 surrogate pair: not a character"
	}
	if off < 0 {
		return "", "", false
	}
	return jsonPathAt(body, off), reason, true
}

// loneSurrogate finds a \uXXXX escape of a surrogate that is not half of a
// pair (the JSON decoder turns it into U+FFFD, but a field kept as raw JSON
// would pass it on to parsers that refuse it); -1 when there is none.
func loneSurrogate(body []byte) int {
	hex4 := func(i int) (int, bool) {
		if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
			return 0, false
		}
		v := 0
		for _, c := range body[i+2 : i+6] {
			switch {
			case '0' <= c && c <= '9':
				v = v*16 + int(c-'0')
			case 'a' <= c && c <= 'f':
				v = v*16 + int(c-'a'+10)
			case 'A' <= c && c <= 'F':
				v = v*16 + int(c-'A'+10)
			default:
				return 0, false
			}
		}
		return v, true
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		v, ok := hex4(i)
		if !ok {
			i++ // another escape: skip the escaped character
			continue
		}
		switch {
		case v >= 0xD800 && v <= 0xDBFF:
			if w, ok := hex4(i + 6); ok && w >= 0xDC00 && w <= 0xDFFF {
				i += 11 // a pair
				continue
			}
			return i
		case v >= 0xDC00 && v <= 0xDFFF:
			return i
		}
		i += 5
	}
	return -1
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
