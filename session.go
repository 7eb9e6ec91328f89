package paywarden

import (
	"context"
	"time"
)

// Session is an operator's login to the dashboard, as stored: never the
// session id the browser holds, only its SHA-256, so that a copy of the
// database opens no session.
type Session struct {
	Hash    []byte // SHA-256 of the session id
	TokenID string // the admin token the operator logged in with
	// CSRF is the synchronizer token that every state-changing request of
	// this session must carry. It is worthless without the session cookie.
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time

	// Filled on read from the session's token, so that a caller checks the
	// scope the token has now, not the one it had at login.
	TokenName string
	Scopes    []string
}

// Has reports whether the session's token grants scope. admin grants every
// scope.
func (s *Session) Has(scope string) bool {
	t := Token{Scopes: s.Scopes}
	return t.Has(scope)
}

// SessionStore stores dashboard sessions. A session lives no longer than
// its expiry and no longer than its token: revoking the token ends it.
type SessionStore interface {
	// CreateSession stores s. EINVALID if it lacks a hash, token id, CSRF
	// token or expiry, or if its hash exists; ENOTFOUND if its token does
	// not exist. A zero CreatedAt is now.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns the session with this hash, with its token's
	// name and scopes. ENOTFOUND if there is none, if it has expired (by
	// the store's clock) or if its token is revoked.
	SessionByHash(ctx context.Context, hash []byte) (*Session, error)
	// DeleteSession deletes a session (a logout). None is not an error.
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteExpiredSessions removes the sessions that expired before now
	// and those of revoked tokens, and returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// Validate checks that a new session can be stored. EINVALID.
func (s *Session) Validate() error {
	if s == nil || len(s.Hash) == 0 || s.TokenID == "" || s.CSRF == "" || s.ExpiresAt.IsZero() {
		return Errorf(EINVALID, "a session needs a hash, a token, a CSRF token and an expiry")
	}
	return nil
}

// WithDefaults returns a copy of s as a store writes it: a zero CreatedAt
// is now.
func (s *Session) WithDefaults(now time.Time) Session {
	d := *s
	d.CreatedAt = orNow(d.CreatedAt, now)
	return d
}
