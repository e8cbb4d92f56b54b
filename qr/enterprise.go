package qr

import (
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// enterpriseDomain starts the signed message of an enterprise code; it
// names the format and its version so that no other signature of ours
// (inspection codes, a later version) can pass for one.
const enterpriseDomain = "fc-ent-1\n"

// EnterpriseCode is the static code printed on or beside a business
// licence: <Base>/e/<USCC>?k=<KeyID>&s=<signature>. doc.go specifies it.
type EnterpriseCode struct {
	// Base is the URL prefix the code opens, e.g. "https://fc.example.gov.cn";
	// "" for the path-only form "/e/…" that an HTTP handler reads back from
	// its own request. It is not signed: codes survive a change of host name.
	Base      string
	USCC      string
	KeyID     string
	Signature []byte // 64 bytes, Ed25519
}

// String returns the code as encoded in the QR symbol.
func (c *EnterpriseCode) String() string {
	var b strings.Builder
	b.Grow(len(c.Base) + 3 + 18 + 3 + KeyIDLen + 3 + sigLen)
	b.WriteString(c.Base)
	b.WriteString("/e/")
	b.WriteString(c.USCC)
	b.WriteString("?k=")
	b.WriteString(c.KeyID)
	b.WriteString("&s=")
	b.WriteString(b64.EncodeToString(c.Signature))
	return b.String()
}

// enterpriseMessage returns the bytes an enterprise code's key signs: the
// domain, the USCC and the key id, each line ended by '\n' except the last.
// The key id is signed so that a code cannot be re-labelled with another
// kid (which is how ReasonAltered is proved).
func enterpriseMessage(uscc, kid string) []byte {
	m := make([]byte, 0, len(enterpriseDomain)+len(uscc)+1+len(kid))
	m = append(m, enterpriseDomain...)
	m = append(m, uscc...)
	m = append(m, '\n')
	return append(m, kid...)
}

// ParseEnterpriseCode reads a scanned enterprise code, as a full URL or in
// the path-only form "/e/<USCC>?k=…&s=…". It checks the shape exactly and
// the USCC's check character, but not the signature: Keyring and
// PublicKeySet verify. Every failure is EINVALID with a Reason.
func ParseEnterpriseCode(raw string) (*EnterpriseCode, error) {
	const op = "qr.ParseEnterpriseCode"
	if err := checkRaw(op, raw); err != nil {
		return nil, err
	}
	path, query, hasQuery := strings.Cut(raw, "?")
	i := strings.LastIndex(path, "/e/")
	if i < 0 {
		return nil, malformed(op, "this is not an enterprise code (no /e/ in it)")
	}
	c := &EnterpriseCode{Base: path[:i], USCC: path[i+len("/e/"):]}
	if c.Base != "" {
		if err := checkBase(c.Base); err != nil {
			return nil, malformed(op, "%s", backend.ErrorMessage(err))
		}
	}
	if err := backend.ValidateUSCC(c.USCC); err != nil {
		return nil, malformed(op, "%s", backend.ErrorMessage(err))
	}

	// The query is exactly "k=<kid>&s=<sig>"; "v" is reserved for later
	// versions, so that an old app can say "update" rather than "malformed".
	var names, values []string
	if hasQuery && query != "" {
		for _, p := range strings.Split(query, "&") {
			name, value, _ := strings.Cut(p, "=")
			names, values = append(names, name), append(values, value)
		}
	}
	for j, name := range names {
		if name == "v" {
			return nil, refuse(op, ReasonUnsupportedVersion, nil, "this enterprise code uses format version %s, which this software does not read: update the app", quote(values[j]))
		}
	}
	switch {
	case len(names) == 0:
		return nil, refuse(op, ReasonUnsigned, nil, "this enterprise code carries no signature: it was not issued by the bureau")
	case names[0] != "k":
		if names[0] == "s" {
			return nil, malformed(op, "the key id (k=) is missing or out of place")
		}
		return nil, malformed(op, "unexpected parameter %s", quote(names[0]))
	case len(names) == 1 || names[1] == "s" && values[1] == "":
		return nil, refuse(op, ReasonUnsigned, nil, "this enterprise code carries no signature: it was not issued by the bureau")
	case names[1] != "s":
		return nil, malformed(op, "unexpected parameter %s", quote(names[1]))
	case len(names) > 2:
		return nil, malformed(op, "unexpected parameter %s", quote(names[2]))
	}
	c.KeyID = values[0]
	if !validKeyID(c.KeyID) {
		return nil, malformed(op, "the key id %s is not %d base64url characters", quote(c.KeyID), KeyIDLen)
	}
	sig := values[1]
	switch {
	case !isB64(sig):
		return nil, malformed(op, "the signature is not base64url")
	case len(sig) < sigLen:
		return nil, malformed(op, "the signature is truncated (%d of %d characters)", len(sig), sigLen)
	case len(sig) > sigLen:
		return nil, malformed(op, "the signature is too long (%d of %d characters)", len(sig), sigLen)
	}
	var err error
	if c.Signature, err = b64.DecodeString(sig); err != nil {
		return nil, refuse(op, ReasonMalformed, err, "not a valid fieldcheck code: the signature is not canonical base64url")
	}
	return c, nil
}
