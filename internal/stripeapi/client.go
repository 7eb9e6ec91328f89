// Package stripeapi is the only package that calls the Stripe API.
//
// It wraps stripe-go with paywarden's own policy: the SDK's retries are off
// and every call runs in paywarden's retry loop with one idempotency key
// across every attempt (connection errors, 409, 429 with Retry-After, 5xx and
// Stripe-Should-Retry: true are retried; Stripe-Should-Retry: false never
// is), a client-side token-bucket rate limit below Stripe's in which the
// internal API has priority over background fetches (limiter.go), one Stripe key
// per capability, and every error classified into a *paywarden.Error whose
// message is safe to show. No Stripe message other than a card decline's
// customer-facing message, no request body and no key ever reaches a caller
// or a log line.
//
// It turns the SDK's objects into the domain's (paywarden.Payment, ...,
// in objects.go) so that no other package needs the SDK's types, and
// APIVersion is the one pinned version the rest of paywarden reads. It must
// not store anything nor know HTTP routes.
package stripeapi

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// APIVersion is the Stripe API version paywarden is pinned to: the one the
// SDK sends on every request.
const APIVersion = stripe.APIVersion

// Default policy values.
const (
	DefaultMaxRetries  = 3
	DefaultBaseBackoff = 500 * time.Millisecond
	DefaultMaxBackoff  = 8 * time.Second
	// DefaultTimeout bounds one call, retries included, when the caller's
	// context has no deadline.
	DefaultTimeout = 60 * time.Second

	// Stripe allows 100 requests per second in live mode and 25 in test
	// mode; paywarden stays below.
	DefaultLiveRate = 80
	DefaultTestRate = 20
)

// Config configures a Client.
type Config struct {
	// Keys holds a Stripe key per capability (paywarden.CapabilityDefault,
	// CapabilityPayments, CapabilityBilling, CapabilityRead). A capability
	// without its own key uses the default key.
	Keys map[string]paywarden.Secret

	// APIBase is the base URL of the Stripe API; empty means Stripe's.
	// Tests point it at stripe-mock or a fault server.
	APIBase string

	// RateLimit is the client-side limit in requests per second. Zero
	// means DefaultLiveRate for a live default key, DefaultTestRate
	// otherwise. Negative disables the limit.
	RateLimit float64

	// HTTPClient is the client used to reach Stripe; its Transport is
	// wrapped, not changed. Nil means a client with sensible timeouts.
	HTTPClient *http.Client

	// Buckets keeps the rate limit's token bucket; nil means this
	// process's memory. A store shared by every replica (PostgreSQL) keeps
	// them all, together, below RateLimit.
	Buckets BucketStore

	// Logger receives retry and alert lines; nil discards them.
	Logger *slog.Logger

	// MaxRetries is how many times a failed attempt is retried; zero means
	// DefaultMaxRetries, negative means none.
	MaxRetries int
	// BaseBackoff and MaxBackoff bound the exponential backoff between
	// attempts; zero means the defaults. Tests make them tiny.
	BaseBackoff, MaxBackoff time.Duration
	// Timeout bounds a call whose context has no deadline; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Sleep waits d before a retry, or until ctx is done; nil means a
	// timer. Tests replace it so that a Retry-After costs no time.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client calls the Stripe API. It is safe for concurrent use.
type Client struct {
	backend    stripe.Backend
	keys       atomic.Pointer[keySet]
	limiter    *Limiter
	logger     *slog.Logger
	maxRetries int
	base, max  time.Duration
	timeout    time.Duration

	// sleep waits for d or until ctx is done; a hook for tests.
	sleep func(ctx context.Context, d time.Duration) error

	jitterMu sync.Mutex
	jitter   *rand.Rand
}

// keySet is one generation of keys, swapped whole on reload.
type keySet struct {
	secrets map[string]paywarden.Secret
	clients map[string]*stripe.Client
}

// New returns a Client for cfg. It refuses a configuration without a default
// key or with a key that is not shaped like a Stripe secret or restricted
// key; the error never contains a key.
func New(cfg Config) (*Client, error) {
	c := &Client{
		logger:     cfg.Logger,
		maxRetries: cfg.MaxRetries,
		base:       cfg.BaseBackoff,
		max:        cfg.MaxBackoff,
		timeout:    cfg.Timeout,
		sleep:      sleepCtx,
		jitter:     rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Sleep != nil {
		c.sleep = cfg.Sleep
	}
	if c.maxRetries == 0 {
		c.maxRetries = DefaultMaxRetries
	} else if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	if c.base <= 0 {
		c.base = DefaultBaseBackoff
	}
	if c.max <= 0 {
		c.max = DefaultMaxBackoff
	}
	if c.max < c.base {
		c.max = c.base
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}

	hc := &http.Client{Timeout: 80 * time.Second}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		hc = &cp
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &recordingTransport{base: base}

	bc := &stripe.BackendConfig{
		HTTPClient: hc,
		// paywarden:ignore error-retries-disabled paywarden's own loop (retry.go) retries, with one idempotency key
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     sdkLogger{c.logger},
		EnableTelemetry:   stripe.Bool(false),
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(cfg.APIBase)
	}
	c.backend = stripe.GetBackendWithConfig(stripe.APIBackend, bc)

	if err := c.SetKeys(cfg.Keys); err != nil {
		return nil, err
	}

	r := cfg.RateLimit
	if r == 0 {
		r = DefaultTestRate
		if info, err := paywarden.ParseStripeKey(cfg.Keys[paywarden.CapabilityDefault].Reveal()); err == nil && info.Livemode {
			r = DefaultLiveRate
		}
	}
	if r > 0 {
		buckets := cfg.Buckets
		if buckets == nil {
			buckets = NewMemoryBuckets(nil)
		}
		// One bucket per Stripe account mode, as Stripe counts; background
		// calls leave half the burst to the internal API.
		name, burst := "stripe-test", max(1, math.Floor(r/4))
		if info, err := paywarden.ParseStripeKey(cfg.Keys[paywarden.CapabilityDefault].Reveal()); err == nil && info.Livemode {
			name = "stripe-live"
		}
		c.limiter = NewLimiter(buckets, name, r, burst, math.Ceil(burst/2))
	}
	return c, nil
}

// SetKeys replaces every key at once, for a secrets reload. The caller
// verifies a new key (Verify) before handing it over. Calls in flight keep
// the keys they started with.
func (c *Client) SetKeys(keys map[string]paywarden.Secret) error {
	def := keys[paywarden.CapabilityDefault]
	if def.IsZero() {
		return paywarden.Errorf(paywarden.EINVALID, "no default Stripe key (STRIPE_SECRET_KEY) is configured")
	}
	ks := &keySet{secrets: map[string]paywarden.Secret{}, clients: map[string]*stripe.Client{}}
	for _, capability := range []string{paywarden.CapabilityDefault, paywarden.CapabilityPayments, paywarden.CapabilityBilling, paywarden.CapabilityRead} {
		k := keys[capability]
		if k.IsZero() {
			k = def
		}
		if _, err := paywarden.ParseStripeKey(k.Reveal()); err != nil {
			return paywarden.Errorf(paywarden.EINVALID, "the Stripe key for capability %s %s", capability, paywarden.ErrorMessage(err))
		}
		ks.secrets[capability] = k
		ks.clients[capability] = c.clientFor(k)
	}
	for capability := range keys {
		if _, ok := ks.secrets[capability]; !ok {
			return paywarden.Errorf(paywarden.EINVALID, "unknown key capability %q", capability)
		}
	}
	c.keys.Store(ks)
	return nil
}

func (c *Client) clientFor(key paywarden.Secret) *stripe.Client {
	return stripe.NewClient(key.Reveal(), stripe.WithBackends(&stripe.Backends{
		API: c.backend, Connect: c.backend, Uploads: c.backend, MeterEvents: c.backend,
	}))
}

// KeyFingerprint returns the fingerprint of the key used for capability.
func (c *Client) KeyFingerprint(capability string) string {
	return c.keys.Load().secrets[capability].Fingerprint()
}

func (c *Client) sdk(capability string) (*stripe.Client, paywarden.Secret) {
	ks := c.keys.Load()
	return ks.clients[capability], ks.secrets[capability]
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sdkLogger silences the SDK's logger. Its lines cannot be passed on: the
// arguments may hold Stripe messages or whole response bodies (the debug
// level prints every body), and a format without its arguments reads as
// "Request failed with error: %v". Every failed call is classified by
// paywarden instead (classify), which logs what an operator needs.
type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Debugf(string, ...any) {}
func (s sdkLogger) Infof(string, ...any)  {}
func (s sdkLogger) Warnf(string, ...any)  {}
func (s sdkLogger) Errorf(string, ...any) {}

var _ stripe.LeveledLoggerInterface = sdkLogger{}
