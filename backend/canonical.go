package backend

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// canonicalJSON encodes v with encoding/json, which writes struct fields in
// declaration order and map keys sorted: the same value always gives the same
// bytes.
func canonicalJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("backend: canonical encoding: " + err.Error()) // only our own types are encoded
	}
	return b
}

func canonicalEqual(a, b any) bool { return bytes.Equal(canonicalJSON(a), canonicalJSON(b)) }

// Digest returns the hex SHA-256 of the canonical JSON of v: what the audit
// log records of a change.
func Digest(v any) string {
	sum := sha256.Sum256(canonicalJSON(v))
	return hex.EncodeToString(sum[:])
}

// sameContent compares two records by their canonical encoding after
// clearing, in copies, the fields the store manages (version, timestamps).
func sameContent[T any](a, b T, clear func(*T)) bool {
	clear(&a)
	clear(&b)
	return canonicalEqual(&a, &b)
}
