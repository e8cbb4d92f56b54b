package backend

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the public API: HTTP clients see them in the
// "code" field of every error body, and they never change meaning.
const (
	EINVALID         = "invalid"           // the request is malformed or breaks a rule
	EUNAUTHENTICATED = "unauthenticated"   // no valid credentials
	EFORBIDDEN       = "forbidden"         // authenticated, but not allowed
	EDEVICEPENDING   = "device_pending"    // the phone waits for an administrator's approval (403)
	EDEVICEREJECTED  = "device_rejected"   // an administrator refused the phone (403)
	ENOTFOUND        = "not_found"         // no such object (or not visible to the caller)
	ECONFLICT        = "conflict"          // version mismatch or duplicate key
	ETOOMANY         = "too_many_requests" // rate or throttle limit reached
	ETOOLARGE        = "payload_too_large" // body, page or upload over its limit
	ETIMEOUT         = "timeout"           // the client did not send its request in time
	EUNAVAILABLE     = "unavailable"       // a dependency (the store) is down
	EINTERNAL        = "internal"          // a bug or an unexpected failure
)

// Error is the one error type of fieldcheck. Code is machine-readable, Message
// is safe to show to a user, Op names the operation that failed and Err keeps
// the underlying cause for logs (it is never sent to clients).
type Error struct {
	Code    string
	Op      string
	Message string
	Err     error
}

func (e *Error) Error() string {
	var s string
	if e.Op != "" {
		s = e.Op + ": "
	}
	switch {
	case e.Message != "" && e.Err != nil:
		s += e.Message + ": " + e.Err.Error()
	case e.Message != "":
		s += e.Message
	case e.Err != nil:
		s += e.Err.Error()
	default:
		s += e.Code
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		if e.Err != nil {
			return ErrorCode(e.Err)
		}
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Internal errors get a
// generic message so that no detail of the failure leaks to clients.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Code == EINTERNAL || (e.Code == "" && e.Message == "") {
			if e.Err != nil && e.Code == "" {
				return ErrorMessage(e.Err)
			}
			return "internal error"
		}
		if e.Message != "" {
			return e.Message
		}
		if e.Err != nil {
			return ErrorMessage(e.Err)
		}
		return e.Code
	}
	return "internal error"
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// wrap annotates err with op unless it is nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Err: err}
}
