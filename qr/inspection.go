package qr

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Layout of an inspection token, version 1 (doc.go is the specification).
const (
	inspectionVersion = 1
	// maxDefinedVersion: version bytes 2..maxDefinedVersion are refused as a
	// later format (update the app); above it, as garbage.
	maxDefinedVersion = 15

	offVersion  = 0
	offKeyID    = 1  // 6 bytes
	offSerial   = 7  // 8 bytes
	offIssuedAt = 15 // uint32 big-endian, Unix seconds
	offValidity = 19 // uint16 big-endian, minutes
	offTaskLen  = 21 // 1 byte
	offTaskID   = 22 // TaskLen bytes, then the 64-byte signature

	serialBytes = 8

	// MaxTaskIDLen bounds the task id a token carries.
	MaxTaskIDLen = 128
	// MaxValidity is the longest an inspection code may live: a working day
	// in the field, for an inspector who fetched it before going offline.
	MaxValidity = 24 * time.Hour
)

// inspectionDomain starts the signed message of an inspection token.
const inspectionDomain = "fc-insp-1\n"

// InspectionToken is the short-lived code an inspector's phone shows for a
// task (检查码), opened as <Base>/v/<token>. doc.go specifies it.
type InspectionToken struct {
	// Base is the URL prefix the code opens; "" when a bare token (or the
	// path-only form "/v/<token>") was parsed. Not signed.
	Base      string
	KeyID     string
	Serial    string // 16 lower-case hex digits; names the code for revocation and audit
	TaskID    string
	IssuedAt  time.Time // UTC, whole seconds
	ExpiresAt time.Time // IssuedAt + validity (whole minutes)
	Signature []byte    // 64 bytes, Ed25519

	token string // the base64url token, as parsed or signed
}

// String returns the bare token (base64url).
func (t *InspectionToken) String() string { return t.token }

// URL returns what the QR symbol encodes: Base + "/v/" + token (the
// path-only form when Base is "").
func (t *InspectionToken) URL() string { return t.Base + "/v/" + t.token }

// payload returns the signed bytes of t (without domain and signature),
// with the key id kid in place of t's own: verification tries other kids
// to tell an altered kid from a forgery.
func (t *InspectionToken) payload(kid string) []byte {
	p := make([]byte, offTaskID+len(t.TaskID))
	p[offVersion] = inspectionVersion
	k, _ := b64.DecodeString(kid)
	copy(p[offKeyID:offKeyID+keyIDBytes], k)
	s, _ := hex.DecodeString(t.Serial)
	copy(p[offSerial:offSerial+serialBytes], s)
	binary.BigEndian.PutUint32(p[offIssuedAt:], uint32(t.IssuedAt.Unix()))
	binary.BigEndian.PutUint16(p[offValidity:], uint16(t.ExpiresAt.Sub(t.IssuedAt)/time.Minute))
	p[offTaskLen] = byte(len(t.TaskID))
	copy(p[offTaskID:], t.TaskID)
	return p
}

// inspectionMessage is what the key signs: the domain and the payload.
func inspectionMessage(payload []byte) []byte {
	return append([]byte(inspectionDomain), payload...)
}

// validTaskID reports whether id can travel in a token: 1 to MaxTaskIDLen
// ASCII letters, digits, '-', '_' or '.' (every task id fieldcheck makes).
func validTaskID(id string) bool {
	if id == "" || len(id) > MaxTaskIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// newInspectionToken assembles and signs a token.
func newInspectionToken(base, kid string, priv ed25519.PrivateKey, serial []byte, taskID string, issuedAt time.Time, validity time.Duration) *InspectionToken {
	t := &InspectionToken{
		Base:      base,
		KeyID:     kid,
		Serial:    hex.EncodeToString(serial),
		TaskID:    taskID,
		IssuedAt:  issuedAt,
		ExpiresAt: issuedAt.Add(validity),
	}
	p := t.payload(kid)
	t.Signature = ed25519.Sign(priv, inspectionMessage(p))
	t.token = b64.EncodeToString(append(p, t.Signature...))
	return t
}

// ParseInspectionToken reads an inspection code: a bare token, or a URL (or
// path) ending in "/v/<token>". It checks the layout exactly but neither
// the signature nor the times: Keyring and PublicKeySet verify. Every
// failure is EINVALID with a Reason.
func ParseInspectionToken(raw string) (*InspectionToken, error) {
	const op = "qr.ParseInspectionToken"
	if err := checkRaw(op, raw); err != nil {
		return nil, err
	}
	t := &InspectionToken{token: raw}
	if strings.Contains(raw, "/") {
		i := strings.LastIndex(raw, "/v/")
		if i < 0 {
			return nil, malformed(op, "this is not an inspection code (no /v/ in it)")
		}
		t.Base, t.token = raw[:i], raw[i+len("/v/"):]
		if t.Base != "" {
			if err := checkBase(t.Base); err != nil {
				return nil, malformed(op, "%s", backend.ErrorMessage(err))
			}
		}
	}
	if !isB64(t.token) {
		return nil, malformed(op, "the token is not base64url")
	}
	b, err := b64.DecodeString(t.token)
	if err != nil {
		return nil, refuse(op, ReasonMalformed, err, "not a valid fieldcheck code: the token is not canonical base64url")
	}
	switch v := b[offVersion]; {
	case v == 0 || v > maxDefinedVersion:
		return nil, malformed(op, "the token has no known format")
	case v != inspectionVersion:
		return nil, refuse(op, ReasonUnsupportedVersion, nil, "this inspection code uses format version %d, which this software does not read: update the app", v)
	}
	if len(b) < offTaskID {
		return nil, malformed(op, "the token is truncated")
	}
	n := int(b[offTaskLen])
	validity := time.Duration(binary.BigEndian.Uint16(b[offValidity:])) * time.Minute
	switch {
	case n == 0 || n > MaxTaskIDLen:
		return nil, malformed(op, "the task id length %d is out of range", n)
	case len(b) == offTaskID+n:
		return nil, refuse(op, ReasonUnsigned, nil, "this inspection code carries no signature: it was not issued by the bureau")
	case len(b) < offTaskID+n+ed25519.SignatureSize:
		return nil, malformed(op, "the token is truncated")
	case len(b) > offTaskID+n+ed25519.SignatureSize:
		return nil, malformed(op, "the token has trailing data")
	case validity < time.Minute || validity > MaxValidity:
		return nil, malformed(op, "the validity of %d minutes is out of range", validity/time.Minute)
	}
	t.TaskID = string(b[offTaskID : offTaskID+n])
	if !validTaskID(t.TaskID) {
		return nil, malformed(op, "the task id has characters that are not allowed")
	}
	t.KeyID = b64.EncodeToString(b[offKeyID : offKeyID+keyIDBytes])
	t.Serial = hex.EncodeToString(b[offSerial : offSerial+serialBytes])
	t.IssuedAt = time.Unix(int64(binary.BigEndian.Uint32(b[offIssuedAt:])), 0).UTC()
	t.ExpiresAt = t.IssuedAt.Add(validity)
	t.Signature = b[offTaskID+n:]
	return t, nil
}
