package paywarden

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret prints in place of its value, everywhere.
const Redacted = "REDACTED"

// Secret holds a secret value (a Stripe key, a webhook signing secret, an
// API token) so that it cannot be printed, logged or marshaled by accident.
// Only Reveal returns the value; call it at the point of use.
type Secret struct{ v string }

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the secret value.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Equal reports whether s and t hold the same value.
func (s Secret) Equal(t Secret) bool { return s.v == t.v }

// Fingerprint returns a short, stable, non-reversible identifier of the
// secret: "sha256:" and the first 12 hex digits of its SHA-256. It is what
// paywarden shows wherever an operator needs to tell keys apart.
func (s Secret) Fingerprint() string {
	if s.v == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s.v))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

func (s Secret) String() string { return Redacted }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `paywarden.Secret{"` + Redacted + `"}` }

// Format keeps every fmt verb from printing the value.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, Redacted) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
