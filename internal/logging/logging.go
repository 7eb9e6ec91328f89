// Package logging sets up paywarden's structured logger so that no secret
// can reach a log line.
//
// Every record passes a Redactor before it is formatted: the message, every
// attribute key and value, inside groups, after LogValuers are resolved and
// after errors, Stringers, byte slices and any other value are turned into
// text. The Redactor knows the shapes of Stripe keys, webhook signing
// secrets, client secrets, paywarden tokens and bearer credentials, and every
// secret value paywarden has loaded (registered with Add).
//
// The paywarden.Secret type keeps secrets out of logs by construction; this
// package is the net under it for strings that slip through: a key inside an
// error message from a library, a request dump, a panic value.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing to w in format "json" or "text" (anything
// else is treated as "text") at level, whose every record is scrubbed by r.
// A nil r scrubs the known secret shapes only.
func New(w io.Writer, format string, level slog.Level, r *Redactor) *slog.Logger {
	return slog.New(NewHandler(w, format, level, r))
}

// NewHandler returns the handler New uses, for callers that compose
// handlers themselves.
func NewHandler(w io.Writer, format string, level slog.Level, r *Redactor) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	var next slog.Handler
	if format == "json" {
		next = slog.NewJSONHandler(w, opts)
	} else {
		next = slog.NewTextHandler(w, opts)
	}
	return Wrap(next, r)
}

// Wrap returns a handler that scrubs every record with r before next
// handles it.
func Wrap(next slog.Handler, r *Redactor) slog.Handler {
	if r == nil {
		r = &Redactor{}
	}
	return &handler{next: next, r: r}
}

// ParseLevel parses a PAYWARDEN_LOG_LEVEL value: debug, info, warn (or
// warning) or error, in any case.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}
