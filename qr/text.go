package qr

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Limits of the wire formats (doc.go explains them).
const (
	// MaxCodeLen bounds everything a parser reads: a scanned string longer
	// than this is refused before any other work.
	MaxCodeLen = 512
	// MaxBaseLen bounds the base URL, so that the longest inspection URL
	// (a 128-byte task id) still fits MaxCodeLen.
	MaxBaseLen = 200
	// KeyIDLen is the length of a key id: base64url of 6 random bytes.
	KeyIDLen   = 8
	keyIDBytes = 6
	// sigLen is the length of a base64url Ed25519 signature (64 bytes).
	sigLen = 86
)

// b64 is the one encoding of signatures, keys and tokens: base64url without
// padding, canonical (Strict: the unused low bits of the last character must
// be zero), so that every accepted string re-encodes to itself.
var b64 = base64.RawURLEncoding.Strict()

// isB64 reports whether s is non-empty and uses only the base64url alphabet.
// The decoder alone is not enough: it skips CR and LF.
func isB64(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validKeyID reports whether kid has the shape of a key id.
func validKeyID(kid string) bool { return len(kid) == KeyIDLen && isB64(kid) }

// isPrintable reports whether s is printable ASCII without spaces: the only
// characters a code can contain.
func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// checkBase validates the base URL a code opens: http or https (lower
// case), a host, an optional path, no trailing slash, no user, query or
// fragment, and only unreserved characters plus ':', '/', '[' and ']', so
// that the base is copied into a code verbatim and read back unchanged.
// CheckBase reports whether base is usable as the base URL of codes.
func CheckBase(base string) error { return checkBase(base) }

func checkBase(base string) error {
	const op = "qr.checkBase"
	bad := func(why string) error {
		return &backend.Error{Code: backend.EINVALID, Op: op, Message: "base URL " + quote(base) + " " + why}
	}
	switch {
	case len(base) > MaxBaseLen:
		return bad("is too long")
	case !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://"):
		return bad("must start with https:// or http://")
	case strings.HasSuffix(base, "/"):
		return bad("must not end with a slash")
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/[]", c) >= 0) {
			return bad("has a character that is not allowed")
		}
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" ||
		strings.Contains(strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://"), "//") {
		return bad("is not a plain http(s) URL with a host")
	}
	return nil
}

// quote shortens and quotes untrusted text for a message.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// checkRaw makes the checks every scanned code gets before its layout is
// read: a bounded length, not empty, printable ASCII only.
func checkRaw(op, raw string) error {
	switch {
	case len(raw) > MaxCodeLen:
		return refuse(op, ReasonOversized, nil, "the code is too long to be a fieldcheck code (%d bytes, at most %d)", len(raw), MaxCodeLen)
	case raw == "":
		return malformed(op, "the code is empty")
	case !isPrintable(raw):
		return malformed(op, "the code contains spaces, control or non-ASCII characters")
	}
	return nil
}
