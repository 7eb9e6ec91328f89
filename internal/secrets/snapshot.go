package secrets

import (
	"maps"
	"os"
	"slices"
	"time"

	"github.com/paywarden/paywarden"
)

// Kind tells what a Spec configures.
type Kind int

// Kinds of secrets.
const (
	KindStripeKey Kind = iota + 1 // a Stripe secret or restricted key for one capability
	KindWebhook                   // the signing secrets of one webhook endpoint
)

// Spec says where one secret is configured. It holds the configured text (a
// literal secret, a reference, or for webhooks a list of them) as a
// paywarden.Secret, so a Spec is safe to log.
type Spec struct {
	// Name is the variable, such as STRIPE_SECRET_KEY or
	// STRIPE_WEBHOOK_SECRET_CONNECT. Errors and metrics use it.
	Name string
	Kind Kind
	// Capability is the paywarden.Capability* constant of a Stripe key.
	Capability string
	// Endpoint is the webhook endpoint: "" for /webhooks/stripe, "connect"
	// for /webhooks/stripe/connect.
	Endpoint string
	// Configured is the configured text.
	Configured paywarden.Secret
	// Origin says where Configured was set, for errors: "environment",
	// "STRIPE_SECRET_KEY_FILE", "config file paywarden.toml".
	Origin string
}

// Key is a loaded Stripe key.
type Key struct {
	Value  paywarden.Secret
	Info   paywarden.KeyInfo
	Name   string // the variable it was configured by
	Source string // where it was read, such as "file:/run/secrets/stripe"; never the value
}

// Snapshot is one consistent set of loaded secrets. It is never modified:
// a reload makes a new one.
type Snapshot struct {
	keys     map[string]Key             // by capability
	webhooks map[string][]WebhookSecret // by endpoint
	files    map[string]os.FileInfo     // secret files as stat'ed before reading, to notice changes
	loadedAt time.Time
}

// Key returns the key for capability, or the default key
// (paywarden.CapabilityDefault) when the capability has none of its own.
func (s *Snapshot) Key(capability string) (Key, bool) {
	if k, ok := s.keys[capability]; ok {
		return k, true
	}
	k, ok := s.keys[paywarden.CapabilityDefault]
	return k, ok
}

// Keys returns the keys configured, by capability; capabilities that fall
// back to the default key are not listed.
func (s *Snapshot) Keys() map[string]Key { return maps.Clone(s.keys) }

// Livemode reports the mode of the keys; Load and reloads make sure every
// key has the same one.
func (s *Snapshot) Livemode() bool {
	k, _ := s.Key(paywarden.CapabilityDefault)
	return k.Info.Livemode
}

// Endpoints returns the webhook endpoints that have secrets, sorted; ""
// is /webhooks/stripe.
func (s *Snapshot) Endpoints() []string { return slices.Sorted(maps.Keys(s.webhooks)) }

// WebhookSecrets returns every secret of endpoint, active or not.
func (s *Snapshot) WebhookSecrets(endpoint string) []WebhookSecret {
	return slices.Clone(s.webhooks[endpoint])
}

// ActiveSecrets returns the secrets of endpoint that verify signatures at
// now. An endpoint without secrets has none: the receiver fails closed.
func (s *Snapshot) ActiveSecrets(endpoint string, now time.Time) []paywarden.Secret {
	return ActiveWebhookSecrets(s.webhooks[endpoint], now)
}

// Files returns the paths of the secret files the snapshot was read
// from, sorted, so that their permissions can be checked.
func (s *Snapshot) Files() []string { return slices.Sorted(maps.Keys(s.files)) }

// LoadedAt returns when the snapshot was made.
func (s *Snapshot) LoadedAt() time.Time { return s.loadedAt }

// Values returns every secret value of the snapshot, for a log redactor.
func (s *Snapshot) Values() []string {
	var out []string
	for _, k := range s.keys {
		out = append(out, k.Value.Reveal())
	}
	for _, list := range s.webhooks {
		for _, w := range list {
			out = append(out, w.Value.Reveal())
		}
	}
	return out
}
