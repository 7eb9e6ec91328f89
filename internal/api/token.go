package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/paywarden/paywarden"
)

// tokenBytes is the randomness of a token: 256 bits.
const tokenBytes = 32

// NewToken makes an internal API token: the token itself, "pwk_" and 32
// random bytes in base64url, to be shown once, and the record to store,
// which holds only its SHA-256. Scopes are checked, deduplicated and sorted.
func NewToken(name string, scopes []string) (token string, t *paywarden.Token, err error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || strings.ContainsFunc(name, unicode.IsControl) {
		return "", nil, paywarden.Errorf(paywarden.EINVALID, "a token name of 1 to 100 printable characters is required")
	}
	if len(scopes) == 0 {
		return "", nil, paywarden.Errorf(paywarden.EINVALID, "at least one scope is required (%s)", strings.Join(paywarden.Scopes, ", "))
	}
	var clean []string
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if !paywarden.ValidScope(s) {
			return "", nil, paywarden.Errorf(paywarden.EINVALID, "unknown scope %q (want %s)", s, strings.Join(paywarden.Scopes, ", "))
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
	token = paywarden.TokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	return token, &paywarden.Token{
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

// ParseScopes splits a comma-separated scope list, as --scope takes it.
func ParseScopes(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
