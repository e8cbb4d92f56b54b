// Package httpkit is what the HTTP adapters share: one Fiber application
// (Router) with its limits, middleware and the one error handler that turns
// a backend.Error into a status and a {"code","message"} body; the Route
// table that registers each operation with Fiber and describes it in the
// OpenAPI documents; and the helpers handlers use to read a request
// (Decode, PageRequest, CheckJSON) and to answer (WithBody, Result).
//
// The adapters (backend/api for the back office and the public site,
// mobileapi for the phones) import httpkit and never each other; the
// composition root, backend/app, builds one Router and lets each adapter
// add its routes. httpkit knows no adapter and no service beyond the
// domain's types (and the client address that auth throttles by).
package httpkit
