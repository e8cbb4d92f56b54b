// Package verify holds the in-browser verifier of fc-draw-1 (fcdraw1.js),
// a third implementation of the draw, independent of the Go engine and of
// testdata/draw/gen_vectors.py, that the public portal's draw page runs on
// the published record with WebCrypto and no help from the server. Its own
// tests run with Node's test runner: node --test backend/portal/verify/
package verify

import "embed"

// Files holds fcdraw1.js, served to browsers as it is: an ES module with
// no dependencies, not bundled, so that anyone can read what runs.
//
//go:embed fcdraw1.js
var Files embed.FS
