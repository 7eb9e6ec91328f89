package secrets

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// WebhookSecret is one signing secret of a webhook endpoint. A zero NotAfter
// never expires.
type WebhookSecret struct {
	Value    paywarden.Secret
	NotAfter time.Time
}

// Active reports whether the secret still verifies signatures at now: up to
// and including its NotAfter.
func (w WebhookSecret) Active(now time.Time) bool {
	return w.NotAfter.IsZero() || !now.After(w.NotAfter)
}

// WebhookEntry is one entry of a webhook secret list before resolution: a
// literal secret or a reference, and its expiry.
type WebhookEntry struct {
	Ref      Ref
	NotAfter time.Time
}

// ParseWebhookList parses the value of STRIPE_WEBHOOK_SECRET (or of a named
// endpoint's variable): entries separated by commas, each a secret or a
// reference with an optional expiry after a semicolon:
//
//	whsec_new,whsec_old;not_after=2026-12-01T00:00:00Z
//	awssm:prod/stripe#webhook,awssm:prod/stripe:AWSPREVIOUS#webhook;not_after=2026-12-01T00:00:00Z
//
// not_after is an RFC 3339 time; after it the entry no longer verifies
// signatures, which ends a roll without another deploy. Spaces around
// entries are ignored; an empty entry is an error, as is an empty list.
// Errors name the entry by position, never by value.
func ParseWebhookList(s string) ([]WebhookEntry, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("is empty")
	}
	var out []WebhookEntry
	for i, item := range strings.Split(s, ",") {
		e, err := parseWebhookEntry(item)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func parseWebhookEntry(item string) (WebhookEntry, error) {
	parts := strings.Split(strings.TrimSpace(item), ";")
	value := strings.TrimSpace(parts[0])
	if value == "" {
		return WebhookEntry{}, errors.New("is empty")
	}
	ref, err := ParseRef(value)
	if err != nil {
		return WebhookEntry{}, err
	}
	e := WebhookEntry{Ref: ref}
	for _, attr := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(attr), "=")
		if !ok || strings.TrimSpace(k) != "not_after" {
			return WebhookEntry{}, errors.New("unknown attribute after ';' (the only one is not_after=RFC3339-time)")
		}
		if !e.NotAfter.IsZero() {
			return WebhookEntry{}, errors.New("not_after given twice")
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			return WebhookEntry{}, errors.New("not_after is not an RFC 3339 time such as 2026-12-01T00:00:00Z")
		}
		e.NotAfter = t
	}
	return e, nil
}

// ActiveWebhookSecrets returns the values of the secrets in list that are
// active at now.
func ActiveWebhookSecrets(list []WebhookSecret, now time.Time) []paywarden.Secret {
	var out []paywarden.Secret
	for _, w := range list {
		if w.Active(now) {
			out = append(out, w.Value)
		}
	}
	return out
}
