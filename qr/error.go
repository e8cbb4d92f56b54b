package qr

import (
	"errors"
	"fmt"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Reason says why a code was refused. Every refusal is a *backend.Error with
// code backend.EINVALID whose chain holds exactly one Reason, so that a page
// can say more than "invalid" (ReasonOf, or errors.Is(err, ReasonExpired)).
// The values are stable: HTTP bodies and the app may carry them.
type Reason string

const (
	// ReasonMalformed: not a fieldcheck code at all, or damaged beyond
	// reading (wrong shape, characters, base64, USCC, lengths, trailing data).
	ReasonMalformed Reason = "malformed"
	// ReasonOversized: longer than MaxCodeLen; refused before any parsing.
	ReasonOversized Reason = "oversized"
	// ReasonUnsupportedVersion: a later version of the format than this
	// software reads (the app needs an update), or a version never defined.
	ReasonUnsupportedVersion Reason = "unsupported_version"
	// ReasonUnsigned: well-formed, but the signature is missing.
	ReasonUnsigned Reason = "unsigned"
	// ReasonUnknownKey: signed with a key id the verifier does not know: a
	// forgery, or (offline) a key set older than the code.
	ReasonUnknownKey Reason = "unknown_key"
	// ReasonForged: the signature does not verify with the key it names nor
	// with any other key of ours. A forger's signature and a genuine code
	// whose signed content was changed fail in exactly the same way; no
	// verifier can tell them apart, so this reason covers both.
	ReasonForged Reason = "forged"
	// ReasonAltered: the signature is genuine, made by one of our keys, but
	// the code names another key: its key id was edited. This is the one
	// alteration a verifier can prove.
	ReasonAltered Reason = "altered"
	// ReasonRetiredKey: a genuine code whose key was retired; the enterprise
	// needs a newly printed code.
	ReasonRetiredKey Reason = "retired_key"
	// ReasonExpired: a genuine inspection code past its expiry (plus leeway).
	ReasonExpired Reason = "expired"
	// ReasonNotYetValid: a genuine inspection code issued in the future
	// (beyond leeway): one of the two clocks is wrong.
	ReasonNotYetValid Reason = "not_yet_valid"
	// ReasonRevoked: a genuine, unexpired inspection code revoked by the
	// bureau (Keyring.Revocations).
	ReasonRevoked Reason = "revoked"
)

// Error makes a Reason usable as the cause in a backend.Error chain.
func (r Reason) Error() string { return string(r) }

// ReasonOf returns the Reason in err's chain, or "" when there is none (nil,
// or a failure that is not a refusal of the code, such as a store error).
func ReasonOf(err error) Reason {
	var r Reason
	if errors.As(err, &r) {
		return r
	}
	return ""
}

// refuse returns the refusal of a code: EINVALID, the user-facing message,
// and the reason (with an optional cause for logs) in the chain.
func refuse(op string, r Reason, cause error, format string, args ...any) *backend.Error {
	var err error = r
	if cause != nil {
		err = fmt.Errorf("%w: %w", r, cause)
	}
	return &backend.Error{Code: backend.EINVALID, Op: op, Message: fmt.Sprintf(format, args...), Err: err}
}

func malformed(op, format string, args ...any) *backend.Error {
	return refuse(op, ReasonMalformed, nil, "not a valid fieldcheck code: "+format, args...)
}

// ago says how long ago (or ahead) d is, to the minute, for messages.
func ago(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	m := int64((d + time.Minute - 1) / time.Minute)
	switch {
	case m <= 1:
		return "1 minute"
	case m < 120:
		return fmt.Sprintf("%d minutes", m)
	case m < 48*60:
		return fmt.Sprintf("%d hours", m/60)
	}
	return fmt.Sprintf("%d days", m/(24*60))
}
