// Package apijson is the JSON encoding of every answer the HTTP APIs give
// (/api/v1, /mobile/v1, /public) and of every body the Go clients send: the
// encoding of encoding/json, except that a nil slice is written as [] and a
// nil map as {}, never as null.
//
// Why in the encoder and not in the types: the OpenAPI documents say that a
// field which is always there and is a list is an array (the front ends'
// TypeScript types say string[], not string[] | null). Building every
// domain value with empty slices instead of nil would have to be done in
// every constructor, store read and copy, and the next field added would
// forget it; a reflect walk over every answer before encoding it costs a
// second pass. The encoder knows at the one place a value becomes JSON
// whether a slice is nil, so there the rule is kept once, for every type,
// present and future.
//
// The encoder is encoding/json/v2 (github.com/go-json-experiment/json, the
// standard library's encoding/json/v2 before Go 1.27) with the options that
// make it behave as encoding/json v1 — same field names, omitempty,
// MarshalJSON methods, sorted map keys, HTML escaping — but for nil slices
// and maps. A field marked omitempty is still left out when empty. Bytes
// that are stored and hashed (a draw record, the audit log's canonical
// form) keep encoding/json: they are not re-encoded here.
package apijson

import (
	"io"

	"github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// options are encoding/json's behaviour with nil slices and maps written
// empty.
var options = json.JoinOptions(
	jsonv1.DefaultOptionsV1(),
	json.FormatNilSliceAsNull(false),
	json.FormatNilMapAsNull(false),
)

// Marshal returns the JSON encoding of v.
func Marshal(v any) ([]byte, error) { return json.Marshal(v, options) }

// Write writes the JSON encoding of v to w, with no trailing newline.
func Write(w io.Writer, v any) error { return json.MarshalWrite(w, v, options) }
