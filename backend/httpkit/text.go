package httpkit

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

// CheckJSONText refuses JSON whose text is not exactly what the client
// meant: bytes that are not UTF-8, and \u escapes of lone UTF-16
// surrogates. encoding/json would replace both with U+FFFD without a word,
// so a name would be stored other than it was sent.
//
// It needs no JSON parser: a backslash occurs only inside strings in valid
// JSON, so following escapes is enough (anything else fails to decode
// afterwards anyway).
func CheckJSONText(b []byte) error {
	if !utf8.Valid(b) {
		return backend.Errorf(backend.EINVALID, "request body is not valid UTF-8")
	}
	pendingHigh := false // the previous escape was a high surrogate
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			if pendingHigh {
				return errSurrogate
			}
			continue
		}
		if i+1 >= len(b) {
			return nil // truncated: the decoder says so
		}
		if b[i+1] != 'u' {
			if pendingHigh {
				return errSurrogate
			}
			i++ // \" \\ \n …: the escaped byte is not an escape
			continue
		}
		if i+5 >= len(b) {
			return nil
		}
		r, ok := hex4(b[i+2 : i+6])
		if !ok {
			return nil // malformed: the decoder says so
		}
		switch {
		case 0xD800 <= r && r <= 0xDBFF:
			if pendingHigh {
				return errSurrogate
			}
			pendingHigh = true
		case 0xDC00 <= r && r <= 0xDFFF:
			if !pendingHigh {
				return errSurrogate
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return errSurrogate
			}
		}
		i += 5
	}
	if pendingHigh {
		return errSurrogate
	}
	return nil
}

var errSurrogate = backend.Errorf(backend.EINVALID, `request body has a \u escape of a lone UTF-16 surrogate: it is not text`)

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// checkText refuses a request whose query or JSON body is not UTF-8 text
// (after percent-decoding), before any handler sees it. Streamed bodies
// (uploads) are bytes, not text.
func (r *Router) checkText(c *fiber.Ctx) error {
	var bad string
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if bad == "" && (!utf8.Valid(k) || !utf8.Valid(v)) {
			bad = string(k)
		}
	})
	if bad != "" {
		if !utf8.ValidString(bad) {
			bad = strings.ToValidUTF8(bad, "?")
		}
		return backend.Errorf(backend.EINVALID, "query parameter %q is not valid UTF-8", bad)
	}
	if r.isStreamed(c) {
		return c.Next()
	}
	if ct := string(c.Request().Header.ContentType()); strings.Contains(strings.ToLower(ct), "json") {
		if err := CheckJSONText(c.Request().Body()); err != nil {
			return err
		}
	}
	return c.Next()
}
