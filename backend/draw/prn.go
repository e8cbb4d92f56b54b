package draw

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
)

// Algorithm is the name and version of the draw algorithm this package implements.
const Algorithm = "fc-draw-1"

// Commitment returns hex(SHA-256(secret)), published with the plan before the draw.
func Commitment(secret []byte) string {
	sum := sha256.Sum256(secret)
	return hex.EncodeToString(sum[:])
}

// Seed returns SHA-256("fc-draw-1\n" + secretHex + "\n" + publicEntropy + "\n" + planID).
// secretHex must be the lower-case hex of the secret, as recorded.
func Seed(secretHex, publicEntropy, planID string) [32]byte {
	return seedOf(Algorithm, secretHex, publicEntropy, planID)
}

// seedOf is SHA-256(algorithm + "\n" + secretHex + "\n" + publicEntropy + "\n" + id),
// the seed of fc-draw-1 (id a plan's) and of fc-draw-2 (a round's).
func seedOf(algorithm, secretHex, publicEntropy, id string) [32]byte {
	h := sha256.New()
	for _, s := range []string{algorithm, "\n", secretHex, "\n", publicEntropy, "\n", id} {
		h.Write([]byte(s))
	}
	var seed [32]byte
	h.Sum(seed[:0])
	return seed
}

// TargetPRN returns the pseudo-random number that orders target id in its stratum.
func TargetPRN(seed [32]byte, id string) uint64 { return newHasher(seed).target(id) }

// InspectorKey returns the key that ranks inspector inspectorID for target targetID.
func InspectorKey(seed [32]byte, targetID, inspectorID string) uint64 {
	h := newHasher(seed)
	h.startTarget(targetID)
	return h.inspector(inspectorID)
}

// FormatPRN writes a PRN or key as the record does: 16 lower-case hex digits.
func FormatPRN(v uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return hex.EncodeToString(b[:])
}

var (
	targetPrefix    = []byte("target\n")
	inspectorPrefix = []byte("inspector\n")
)

// hasher computes HMAC-SHA256(seed, ·) without allocating: hmac.Reset
// restores the precomputed inner and outer pad states, and the message is
// assembled in a reused buffer. One hasher per goroutine.
type hasher struct {
	mac    hash.Hash
	buf    []byte
	prefix int // length of "inspector\n" + targetID + "\n" in buf
	sum    [sha256.Size]byte
}

func newHasher(seed [32]byte) *hasher {
	return &hasher{mac: hmac.New(sha256.New, seed[:]), buf: make([]byte, 0, 256)}
}

func (h *hasher) mac64(msg []byte) uint64 {
	h.mac.Reset()
	h.mac.Write(msg)
	return binary.BigEndian.Uint64(h.mac.Sum(h.sum[:0]))
}

func (h *hasher) target(id string) uint64 {
	h.buf = append(append(h.buf[:0], targetPrefix...), id...)
	return h.mac64(h.buf)
}

// startTarget prepares inspector keys for one target.
func (h *hasher) startTarget(targetID string) {
	h.buf = append(append(append(h.buf[:0], inspectorPrefix...), targetID...), '\n')
	h.prefix = len(h.buf)
}

func (h *hasher) inspector(inspectorID string) uint64 {
	h.buf = append(h.buf[:h.prefix], inspectorID...)
	return h.mac64(h.buf)
}
