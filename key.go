package paywarden

import (
	"context"
	"strings"
	"time"
)

// KeyKind is the kind of a Stripe API key.
type KeyKind string

// Kinds of Stripe API keys.
const (
	KeySecret     KeyKind = "secret"     // sk_
	KeyRestricted KeyKind = "restricted" // rk_
)

// Capabilities: each may have its own Stripe key (PRODUCT.md §2).
const (
	CapabilityDefault  = "default"  // STRIPE_SECRET_KEY
	CapabilityPayments = "payments" // payments and refunds
	CapabilityBilling  = "billing"  // customers and subscriptions
	CapabilityRead     = "read"     // sync, reconcile and doctor
)

// KeyInfo describes a Stripe API key without holding its value.
type KeyInfo struct {
	Kind     KeyKind
	Livemode bool
}

// Mode returns "live" or "test".
func (k KeyInfo) Mode() string {
	if k.Livemode {
		return "live"
	}
	return "test"
}

// ParseStripeKey checks the shape of a Stripe secret or restricted API key
// and tells its kind and mode. The error never contains the key.
func ParseStripeKey(key string) (KeyInfo, error) {
	var info KeyInfo
	var body string
	switch {
	case strings.HasPrefix(key, "sk_live_"):
		info, body = KeyInfo{KeySecret, true}, key[len("sk_live_"):]
	case strings.HasPrefix(key, "sk_test_"):
		info, body = KeyInfo{KeySecret, false}, key[len("sk_test_"):]
	case strings.HasPrefix(key, "rk_live_"):
		info, body = KeyInfo{KeyRestricted, true}, key[len("rk_live_"):]
	case strings.HasPrefix(key, "rk_test_"):
		info, body = KeyInfo{KeyRestricted, false}, key[len("rk_test_"):]
	case strings.HasPrefix(key, "pk_"):
		return info, Errorf(EINVALID, "is a publishable key (pk_...); a secret (sk_) or restricted (rk_) key is needed")
	default:
		return info, Errorf(EINVALID, "is not a Stripe secret or restricted key (want sk_live_, sk_test_, rk_live_ or rk_test_ followed by letters and digits)")
	}
	if len(body) < 16 || !isAlnum(body) {
		return info, Errorf(EINVALID, "is malformed: the part after the %s_%s_ prefix must be at least 16 letters and digits", key[:2], info.Mode())
	}
	return info, nil
}

// ValidateWebhookSecret checks the shape of a webhook signing secret.
func ValidateWebhookSecret(secret string) error {
	body, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return Errorf(EINVALID, "is not a webhook signing secret (want whsec_ followed by letters and digits)")
	}
	if len(body) < 16 || !isAlnum(body) {
		return Errorf(EINVALID, "is malformed: the part after whsec_ must be at least 16 letters and digits")
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// KeyRecord is what paywarden remembers of a Stripe key it has loaded: never
// the value, only its fingerprint and history, for `keys status`.
type KeyRecord struct {
	Fingerprint string
	Capability  string // CapabilityDefault, CapabilityPayments, ...
	Source      string // "env", "file:/path", "awssm:name", "vault:path"; never the value
	Kind        KeyKind
	Livemode    bool
	FirstSeen   time.Time
	LastSeen    time.Time
}

// Validate checks that the record can be stored. EINVALID without a
// fingerprint or a capability.
func (k *KeyRecord) Validate() error {
	if k.Fingerprint == "" || k.Capability == "" {
		return Errorf(EINVALID, "a key record needs a fingerprint and a capability")
	}
	return nil
}

// WithDefaults returns a copy of k as a store writes it: zero FirstSeen and
// LastSeen are now.
func (k *KeyRecord) WithDefaults(now time.Time) KeyRecord {
	d := *k
	d.FirstSeen = orNow(d.FirstSeen, now)
	d.LastSeen = orNow(d.LastSeen, now)
	return d
}

// KeyStore records the keys paywarden has loaded.
type KeyStore interface {
	// RecordKey inserts k or, when its fingerprint and capability are known,
	// updates LastSeen (never backwards), Source, Kind and Livemode, keeping
	// the earliest FirstSeen; zero times are now. It returns the record as
	// stored. EINVALID without a fingerprint or capability.
	RecordKey(ctx context.Context, k *KeyRecord) (*KeyRecord, error)
	// Keys returns every recorded key, newest first.
	Keys(ctx context.Context) ([]*KeyRecord, error)
}
