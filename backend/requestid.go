package backend

import "context"

// MaxRequestIDLen bounds a request id, ours or one a trusted proxy sent.
const MaxRequestIDLen = 64

type requestIDKey struct{}

// WithRequestID returns a context that carries the id of the HTTP request
// it serves: the audit entries written for it name the request, so that a
// log line, an error a user reports and an audit entry meet.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id in ctx, or "" outside a request
// (command-line tools, the sweepers).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ValidRequestID reports whether id may be a request id: 1 to
// MaxRequestIDLen letters, digits, '-', '_', '.' or ':' — what proxies
// generate (UUIDs, hex, nginx's $request_id), and nothing that could
// break a log line or a header.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}
