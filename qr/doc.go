// Package qr makes and checks the two signed codes of 扫码入企
// (scan-to-enter), and renders them for screens and for print.
//
//   - The enterprise code is static: printed on or beside the business
//     licence, scanned by the inspector's app to check in, and by anyone's
//     phone camera to open the enterprise's public page.
//   - The inspection code (检查码) is dynamic: shown on the inspector's
//     phone for one task, valid for minutes, scanned by the enterprise to
//     see that the inspection is genuine.
//
// Both carry an Ed25519 signature by a key of the bureau's code-signing
// ring (Keyring, stored through KeyStore), named by a key id, so that they
// can be verified offline against the published public keys
// (PublicKeySet, served at KeySetPath). This comment is the specification
// of both formats and of the key set; docs/qr.md is derived from it.
//
// # Conventions
//
// base64url is RFC 4648 §5 without padding, and canonical: the unused low
// bits of the last character are zero; a verifier rejects any other
// character (including CR, LF and '='), padding, and non-canonical endings,
// so that every accepted string re-encodes to itself. All integers are
// unsigned big-endian. LF is the byte 0x0A. Texts are ASCII.
//
// A key id (kid) is 8 base64url characters, the encoding of 6 bytes.
// fieldcheck generates kids from letters and digits only; verifiers accept
// any 8 base64url characters.
//
// A base URL is "http://" or "https://" (lower case) followed by a host, an
// optional port and an optional path, at most 200 bytes, without a trailing
// slash, user info, query, fragment, "//" after the scheme or
// percent-encoding, using only letters, digits and "-._~:/[]". Example:
// "https://fc.example.gov.cn" or "https://scjg.example.org/fieldcheck".
// The base URL is never signed: codes keep verifying when the bureau moves
// to another host name, and the same code opens whichever host it was
// printed with. A verifier that cares where a code leads (a phishing copy
// of a genuine code on another host) compares Base with the hosts it
// trusts; the signature cannot say.
//
// Every code is at most MaxCodeLen (512) bytes of printable ASCII (0x21 to
// 0x7E). A scanned string is taken exactly as it is: no trimming, no case
// folding, no URL decoding.
//
// # Enterprise code, format fc-ent-1
//
// Text (what the QR symbol encodes):
//
//	<base>/e/<USCC>?k=<kid>&s=<signature>
//
// USCC is the 18-character unified social credit code in upper case with a
// valid GB 32100-2015 check character (backend.ValidateUSCC). signature is
// the 64-byte Ed25519 signature in base64url (86 characters) over the
// message
//
//	"fc-ent-1" LF <USCC> LF <kid>
//
// (8 + 1 + 18 + 1 + 8 = 36 bytes, no trailing LF). The kid is signed, so a
// code cannot be re-labelled with another key id. The same key signs the
// same USCC to the same code (Ed25519 is deterministic).
//
// The query is exactly "k=<kid>&s=<signature>", in that order, nothing
// before, between or after. The path-only form "/e/<USCC>?k=…&s=…" (no
// base) is accepted by the parser for HTTP handlers that read their own
// request; it is never printed. A parameter named "v" anywhere in the query
// is reserved for a later version of this format and is refused as
// ReasonUnsupportedVersion.
//
// A typical code is about 145 bytes; at error-correction level Q it is a
// version-10 symbol (57×57 modules plus a 4-module quiet zone).
//
// Parsing (ParseEnterpriseCode), in order, first failure wins:
//
//  1. longer than 512 bytes: oversized; empty, or a byte outside 0x21–0x7E:
//     malformed.
//  2. Split at the first '?'. In the part before it, the last "/e/"
//     separates base and USCC; none: malformed. A non-empty base must be a
//     base URL as above, the USCC must be valid: else malformed.
//  3. Split the query at '&' into name=value pairs. Any name "v":
//     unsupported version. No query, an empty query, "k" without "s", or
//     an empty "s": unsigned. Then the names must be exactly k, s:
//     malformed otherwise.
//  4. kid: 8 base64url characters; signature: 86 base64url characters,
//     canonical. Else malformed.
//
// # Inspection code, format fc-insp-1
//
// Text (what the QR symbol encodes):
//
//	<base>/v/<token>
//
// token is the base64url encoding of payload || signature:
//
//	offset  size  field
//	0       1     version: 1
//	1       6     key id (the 6 bytes whose base64url is the kid)
//	7       8     serial: random, names this code for revocation and audit
//	15      4     issued at: Unix time in seconds (uint32: until 2106)
//	19      2     validity in minutes: 1 to 1440 (24 hours)
//	21      1     n, length of the task id: 1 to 128
//	22      n     task id: ASCII letters, digits, '-', '_', '.'
//	22+n    64    Ed25519 signature over "fc-insp-1" LF || bytes 0 to 22+n
//
// The token is 87 to 214 bytes, 116 to 286 characters. It expires at
// issued at + validity. A typical token (a 32-character task id, 118 bytes,
// 158 characters) makes a URL of about 190 bytes: at level M a version-10
// symbol, readable from a phone screen at arm's length.
//
// Version bytes 2 to 15 are reserved for later versions of this format and
// refused as ReasonUnsupportedVersion (the layout after the version byte
// may differ, so nothing else is read); 0 and 16 to 255 are malformed.
//
// Parsing (ParseInspectionToken) accepts the URL, the path-only form
// "/v/<token>", or the bare token: if the text contains '/', the last
// "/v/" separates base and token (none: malformed; a non-empty base must
// be a base URL). In order, first failure wins: oversized; empty or a byte
// outside 0x21–0x7E; token not canonical base64url (a query or fragment
// makes it so); version (above); fewer than 22 bytes; n out of range; exactly
// 22+n bytes: unsigned; fewer than 22+n+64: truncated, more: trailing data;
// validity out of range; task id characters. All of these are malformed
// except where named.
//
// # Verification
//
// After parsing, both codes are verified the same way (Keyring online,
// PublicKeySet offline):
//
//  1. Find the key the kid names. Verify the signature over the message
//     built with that kid.
//  2. It verifies: if the key is retired (at the verifier's time), refuse
//     as retired key; else go on.
//  3. It does not: try every other known key, each over the message built
//     with its own kid. One verifies: the code is genuine but its kid was
//     edited: altered. None: unknown key when the kid is unknown, else
//     forged. A forger's signature and a genuine code with a changed USCC
//     or task cannot be told apart by anyone; both are "forged", and the
//     message says "forged or changed".
//  4. Inspection codes only, after the signature (so that a forgery is
//     called forged whatever dates it claims): refuse as not yet valid when
//     now + leeway < issued at, as expired when now >= expires at + leeway.
//     The leeway for clock skew is 2 minutes (DefaultLeeway, Keyring.Leeway).
//  5. Online only: a serial on the revocation list (Keyring.Revocations) is
//     revoked.
//
// Every refusal is a *backend.Error with code EINVALID, a message the user
// can act on, and a Reason in its chain (ReasonOf, errors.Is) for pages and
// HTTP bodies: malformed, oversized, unsupported_version, unsigned,
// unknown_key, forged, altered, retired_key, expired, not_yet_valid,
// revoked. A failure to read the keys is not a refusal: it keeps the
// store's code and has no Reason.
//
// # Keys
//
// The ring is stored (KeyStore; MongoDB collection code_keys), separate
// from the access-token keys: enterprise codes live for years on paper.
// Each key has an activation time; the key that signs is the latest one
// activated and not retired. The first Load with no key creates one.
// Keyring.Rotate adds a key, activating now or later: activating a few days
// ahead publishes the new public key before any code carries it, so that
// offline apps never meet an unknown kid. Keyring.Retire refuses a key's
// codes from then on (the signing key cannot be retired; rotate first).
// Retiring an enterprise-code key means reprinting every licence code it
// signed: do it when a key may have leaked, or once its codes are replaced.
// The ring is backend/keyring's, the one ring type the access-token keys use
// too: each instance caches it for Keyring.MaxAge (5 seconds), so that a
// rotation or a retirement made anywhere is in force on every instance
// within that, and reloads it for an unknown kid at most once per
// Keyring.MinReload (a second).
//
// # Public key set
//
// GET /.well-known/fieldcheck-keys.json (KeySetPath) serves, without
// secrets, every key ever used, newest activation first:
//
//	{"keys": [
//	  {"kid": "CIBvn3IF", "alg": "Ed25519",
//	   "key": "<base64url of the 32-byte public key>",
//	   "status": "current", "activatedAt": "2026-03-02T10:30:00Z"},
//	  {"kid": "rGhN4ntF", "alg": "Ed25519", "key": "…",
//	   "status": "retired", "activatedAt": "2026-03-02T09:30:00Z",
//	   "notAfter": "2026-03-02T10:30:00Z"}
//	]}
//
// status is "next" (published, signs from activatedAt), "current" (signs
// new codes), "valid" (no longer signs, verifies) or "retired". notAfter,
// when present, is the instant from which the key's codes are refused.
// testdata/keys.golden.json is a complete example. A client:
//
//   - ignores unknown fields and keys whose alg is not "Ed25519" (later
//     servers may add both), and refuses the set when a kid or key is
//     malformed, a kid is listed twice, or a status is unknown;
//   - refuses a key's codes when its status is "retired" (whatever its own
//     clock says) or when now >= notAfter;
//   - refetches the set whenever it is online and meets an unknown kid, and
//     at least daily; ParsePublicKeySet, PublicKeySet.VerifyEnterpriseCode,
//     PublicKeySet.VerifyInspectionToken and VerifyOffline implement this.
//
// # Test vectors
//
// Key rGhN4ntF, public key (base64url)
// szONrvioOUcGEIxTescb0evKJKyFcmtXixmzDDinFRA.
//
// Enterprise code for 91350100M000100Y43, base https://fc.example.gov.cn:
//
//	https://fc.example.gov.cn/e/91350100M000100Y43?k=rGhN4ntF&s=l9CZdtlrBeY7mW1wzvzYaBh0MaIFm4uJ2bDyxStlNiqDDOjuQpRTSXa6AIO1YibdWRACq26AnIWCk88Isz7qCA
//
// Inspection code for task 2026-scjg-0a1b2c3d4e-v1-d1-00012, issued
// 2026-03-02T09:30:00Z, valid 10 minutes:
//
//	https://fc.example.gov.cn/v/AaxoTeJ7RQiAb59yBfz9aaVYmAAKIDIwMjYtc2NqZy0wYTFiMmMzZDRlLXYxLWQxLTAwMDEy8FHGUcfkGboX_2_NPNFPJp9EGpawjTxEXnQFI9ciQ3EwftjRTHsQFdW_RYj9TAs9hpJUm-PrtDe9l36-21wPAg
//
//	payload  01  ac684de27b45  08806f9f7205fcfd  69a55898  000a  20
//	         323032362d73636a672d306131623263336434652d76312d64312d3030303132
//	         (version, kid, serial, 1772443800, 10 minutes, n = 32, task id)
//	signature f051c651c7e419ba17ff6fcd3cd14f269f441a96b08d3c445e740523d7224371
//	          307ed8d14c7b1015d5bf4588fd4c0b3d8692549be3ebb437bd977ebedb5c0f02
//
// TestDocVectors checks these.
//
// # Rendering
//
// Error correction: Q (25%) for enterprise codes, which live for years on
// paper that gets dirty, creased and taped over; M (15%) for inspection
// codes, on a clean screen where density, not damage, is what fails (see
// render.go). PNGs are 1-bit grayscale, MinSize to MaxSize (128 to 1024)
// pixels square; every module is the same whole number of pixels, and the
// remainder widens the 4-module quiet zone, so edges are sharp (below about
// 2 pixels a module the code gets small within its image; ask for 256 or
// more). SVGs draw the same modules as one path in a viewBox measured in
// modules, with shape-rendering="crispEdges". WriteSheet writes a
// print-ready A4 HTML page, 20 codes a page with name and USCC; WriteZIP
// streams a ZIP of PNGs named <USCC>.png for batch printing.
package qr
