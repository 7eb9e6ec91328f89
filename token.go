package paywarden

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Scopes of internal API tokens (PRODUCT.md §5).
const (
	ScopePaymentsRead       = "payments:read"
	ScopePaymentsWrite      = "payments:write"
	ScopeSubscriptionsRead  = "subscriptions:read"
	ScopeSubscriptionsWrite = "subscriptions:write"
	ScopeReportsRead        = "reports:read"
	ScopeEventsRead         = "events:read"
	ScopeEventsWrite        = "events:write"
	ScopeAdmin              = "admin"
)

// Scopes lists every valid scope.
var Scopes = []string{
	ScopePaymentsRead, ScopePaymentsWrite, ScopeSubscriptionsRead, ScopeSubscriptionsWrite,
	ScopeReportsRead, ScopeEventsRead, ScopeEventsWrite, ScopeAdmin,
}

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool { return slices.Contains(Scopes, s) }

// TokenPrefix starts every internal API token.
const TokenPrefix = "pwk_"

// Token is an internal API token as stored: never the token itself, only
// the SHA-256 of it.
type Token struct {
	ID         string // tok_...; public, used to revoke
	Name       string
	Scopes     []string
	Hash       []byte // SHA-256 of the token
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero unless revoked
}

// Has reports whether the token grants scope. admin grants every scope.
func (t *Token) Has(scope string) bool {
	return slices.Contains(t.Scopes, scope) || slices.Contains(t.Scopes, ScopeAdmin)
}

// Revoked reports whether the token has been revoked.
func (t *Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Validate checks that the token can be stored. EINVALID without an id or
// a hash, or with an empty scope.
func (t *Token) Validate() error {
	if t.ID == "" || len(t.Hash) == 0 {
		return Errorf(EINVALID, "a token needs an id and a hash")
	}
	if err := checkText("a token", "name", t.Name, MaxTypeLen); err != nil {
		return err
	}
	if LooksLikeSecret(t.Name) {
		// The name is stored and listed in the clear: refuse it, and never
		// repeat it in the error.
		return Errorf(EINVALID, "a token's name must not hold a key, secret or token")
	}
	for _, s := range t.Scopes {
		if s == "" {
			return Errorf(EINVALID, "invalid scope %q", s)
		}
	}
	return nil
}

// WithDefaults returns a copy of t as a store writes it: a zero CreatedAt
// is now.
func (t *Token) WithDefaults(now time.Time) Token {
	d := *t
	d.CreatedAt = orNow(d.CreatedAt, now)
	return d
}

// TokenStore stores internal API tokens.
type TokenStore interface {
	// CreateToken stores t; a zero CreatedAt is now. EINVALID if t is not
	// valid (Token.Validate) or if its id or hash exists.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token with this hash, revoked or not.
	// ENOTFOUND if there is none.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// ListTokens returns every token, oldest first.
	ListTokens(ctx context.Context) ([]*Token, error)
	// RevokeToken revokes a token; revoking it again keeps the first time.
	// ENOTFOUND if there is none.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken records that a token was used at the given time; an
	// earlier time than the one recorded changes nothing. ENOTFOUND if
	// there is none.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// IdempotencyRecord remembers a POST or DELETE by (token, key) so that a
// repeat replays the stored response instead of acting twice.
type IdempotencyRecord struct {
	TokenID     string
	Key         string
	RequestHash []byte // SHA-256 of method, path and body
	// LockedUntil is set while the request is in flight. A record still
	// locked answers a repeat with idempotency_conflict; one whose lock
	// expired (paywarden crashed mid-request) may be taken over.
	LockedUntil time.Time
	Status      int    // the stored response's HTTP status; 0 while in flight
	Body        []byte // the stored response body
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Done reports whether the record holds a finished response.
func (r *IdempotencyRecord) Done() bool { return r.Status != 0 }

// Validate checks that the record can be begun. EINVALID without a token
// id, a key, LockedUntil or ExpiresAt.
func (r *IdempotencyRecord) Validate() error {
	if r.TokenID == "" || r.Key == "" || r.LockedUntil.IsZero() || r.ExpiresAt.IsZero() {
		return Errorf(EINVALID, "an idempotency record needs a token, a key, a lock and an expiry")
	}
	return nil
}

// WithDefaults returns a copy of r as a store writes it: a zero CreatedAt
// is now.
func (r *IdempotencyRecord) WithDefaults(now time.Time) IdempotencyRecord {
	d := *r
	d.CreatedAt = orNow(d.CreatedAt, now)
	return d
}

// ValidateFinishStatus checks the status FinishIdempotent stores: 0 means
// in flight, so a finished response needs another. EINVALID.
func ValidateFinishStatus(status int) error {
	if status == 0 {
		return Errorf(EINVALID, "a finished response needs a status")
	}
	return nil
}

// IdempotencyStore stores idempotency records.
type IdempotencyStore interface {
	// BeginIdempotent stores rec as in flight unless a live record exists
	// for (rec.TokenID, rec.Key). It returns (nil, nil) when rec was stored,
	// or the existing record. An existing record that is not done, whose
	// lock has expired and whose RequestHash matches, is taken over: its
	// lock is renewed and (nil, nil) returned. Expired records are ignored;
	// the store's clock decides what has expired. EINVALID if rec is not
	// valid (IdempotencyRecord.Validate).
	BeginIdempotent(ctx context.Context, rec *IdempotencyRecord) (existing *IdempotencyRecord, err error)
	// FinishIdempotent stores the response of an in-flight record.
	// EINVALID if status is 0, ENOTFOUND if there is no record.
	FinishIdempotent(ctx context.Context, tokenID, key string, status int, body []byte) error
	// AbandonIdempotent deletes an in-flight record, so that the same key
	// may be used again; for requests that failed before reaching Stripe.
	// A finished record, or none, is left alone without error.
	AbandonIdempotent(ctx context.Context, tokenID, key string) error
	// DeleteExpiredIdempotency removes records that expired before now.
	DeleteExpiredIdempotency(ctx context.Context, now time.Time) (int, error)
}

// tokenBytes is the randomness of a token: 256 bits.
const tokenBytes = 32

// NewToken makes an internal API token: the token itself, "pwk_" and 32
// random bytes in base64url, to be shown once, and the record to store,
// which holds only its SHA-256. Scopes are checked, deduplicated and sorted.
func NewToken(name string, scopes []string) (token string, t *Token, err error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || !PrintableText(name) {
		return "", nil, Errorf(EINVALID, "a token name of 1 to 100 printable characters is required")
	}
	if LooksLikeSecret(name) {
		return "", nil, Errorf(EINVALID, "a token's name must not hold a key, secret or token")
	}
	if len(scopes) == 0 {
		return "", nil, Errorf(EINVALID, "at least one scope is required (%s)", strings.Join(Scopes, ", "))
	}
	var clean []string
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if !ValidScope(s) {
			if LooksLikeSecret(s) || !PrintableText(s) {
				return "", nil, Errorf(EINVALID, "unknown scope (want %s)", strings.Join(Scopes, ", "))
			}
			return "", nil, Errorf(EINVALID, "unknown scope %q (want %s)", s, strings.Join(Scopes, ", "))
		}
		clean = append(clean, s)
	}
	slices.Sort(clean)
	clean = slices.Compact(clean)

	var secret [tokenBytes]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", nil, err
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", nil, err
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	return token, &Token{
		ID:        "tok_" + hex.EncodeToString(id[:]),
		Name:      name,
		Scopes:    clean,
		Hash:      HashToken(token),
		CreatedAt: time.Now().UTC(),
	}, nil
}

// HashToken returns the SHA-256 of a token, the only form paywarden stores.
// Tokens carry 256 random bits, so a fast hash is enough: there is nothing
// to brute-force.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
