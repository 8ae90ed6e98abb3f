package domain

import (
	"errors"
	"fmt"
)

// Error codes. The set is closed: the GraphQL layer maps each to one
// extensions.code and plain HTTP endpoints to one status.
const (
	EINVALID         = "invalid"
	ENOTFOUND        = "not_found"
	ECONFLICT        = "conflict"
	EUNAUTHENTICATED = "unauthenticated"
	EFORBIDDEN       = "forbidden"
	EINTERNAL        = "internal"
	// ERATELIMITED refuses a caller who sent too many requests; retry later.
	ERATELIMITED = "rate_limited"
	// EUPGRADE says the client is too old for the server (sync schema version).
	EUPGRADE = "upgrade_required"
	// EEXPIRED refuses a sync checkpoint older than the server keeps change
	// history for: the replica drops it and pulls from scratch.
	EEXPIRED = "checkpoint_expired"
)

// Error is an error a caller is meant to read. Field names the input field that
// was wrong, when there is one.
type Error struct {
	Code    string
	Message string
	Field   string
	// format and args are what Message was formatted from: the key and the
	// arguments a translation of the message uses (Template).
	format string
	args   []any
}

// Template returns the format and arguments the message was built from; for an
// Error built as a literal, the message itself and no arguments.
func (e *Error) Template() (string, []any) {
	if e.format == "" {
		return e.Message, nil
	}
	return e.format, e.args
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an Error with a code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// Invalid reports bad input in one named field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// NotFound says a record does not exist or is outside the caller's scope; the two
// are deliberately indistinguishable so that scope does not leak existence.
func NotFound(kind, id string) *Error {
	return &Error{Code: ENOTFOUND, Message: fmt.Sprintf("%s %q not found", kind, id), format: "%s %q not found", args: []any{kind, id}}
}

// Forbidden says the caller may not perform an operation at all.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: EFORBIDDEN, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err: the *Error's message, or a
// generic one for internal errors whose detail must not reach clients.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the offending input field of err, if it names one.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
