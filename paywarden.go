// Package paywarden holds the domain of paywarden: the types, the service
// interfaces that more than one package uses, and the error codes.
//
// It imports only the standard library. Each technology (SQLite, PostgreSQL,
// the Stripe API, HTTP) lives in its own package under internal/ and
// implements or uses what is declared here; cmd/paywarden wires them together.
package paywarden

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. They are the stable `type` values of the problem documents the
// HTTP API answers with (PRODUCT.md §3), so they are part of the contract.
const (
	ECARDDECLINED        = "card_declined"
	EINVALID             = "invalid_request"
	EUNAUTHORIZED        = "unauthorized"
	EFORBIDDEN           = "forbidden"
	ENOTFOUND            = "not_found"
	EIDEMPOTENCY         = "idempotency_conflict"
	ERATELIMITED         = "rate_limited"
	ESTRIPEUNAVAILABLE   = "stripe_unavailable"
	ESTRIPEMISCONFIGURED = "stripe_misconfigured"
	ETOOLARGE            = "payload_too_large"
	EUNAVAILABLE         = "unavailable"
	EINTERNAL            = "internal"
)

// Error is an error whose Message is safe to show to a caller. Err, when
// set, is the underlying cause: it goes to the log, never to a caller.
type Error struct {
	Code    string
	Message string

	// Param names the request parameter at fault, for invalid_request.
	Param string
	// DeclineCode is Stripe's decline code, for card_declined.
	DeclineCode string
	// RetryAfter tells the caller when to try again, for rate_limited and
	// stripe_unavailable.
	RetryAfter time.Duration
	// StripeRequestID is Stripe's request id, for the log.
	StripeRequestID string

	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message that
// is safe to show to a caller.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL
// for any other non-nil error. It returns "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, or "Internal error." for any other error: an unknown error may
// carry anything, so it is never shown.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
