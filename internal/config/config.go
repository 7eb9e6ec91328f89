// Package config loads and checks paywarden's configuration.
//
// Every setting has an environment variable (PRODUCT.md §2), a key in the
// TOML config file given with --config (the variable in snake_case without
// PAYWARDEN_: PAYWARDEN_DATABASE_URL is database_url, STRIPE_SECRET_KEY is
// stripe_secret_key) and, except secrets, a flag (the TOML key in
// kebab-case: --database-url). Flags win over the environment, the
// environment over a development .env file, and that over the config file.
//
// Secrets never come from flags, and in the config file only as references
// (stripe_secret_key = "file:/run/secrets/stripe") or X_file paths: a
// config file or flag that holds anything shaped like a Stripe key or
// webhook secret is refused, naming the file and line. Every failure is an
// *Error naming the variable, never the value; the command maps it to exit
// code 2.
//
// A config file might read:
//
//	env = "production"
//	addr = ":8443"
//	database_url_file = "/run/secrets/database_url"
//	tls_cert_file = "/etc/paywarden/tls.crt"
//	tls_key_file = "/etc/paywarden/tls.key"
//	webhook_tolerance = "300s"
//	stripe_secret_key = "awssm:prod/stripe#secret_key"
//	payments_key_file = "/run/secrets/stripe_payments"
//	stripe_webhook_secret = "awssm:prod/stripe#webhook,awssm:prod/stripe:AWSPREVIOUS#webhook;not_after=2026-12-01T00:00:00Z"
//
//	[stripe_webhook_secrets]
//	connect = "vault:secret/stripe#connect_webhook"
//
// Load reads only what it is given (args, a getenv function, the paths in
// options), never the process environment, so tests need no setup.
//
// It owns parsing and checking only: it must not open connections, call
// Stripe or print a secret; subscribers come out as paywarden.Subscriber,
// the type the workers deliver to.
package config

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/secrets"
)

// Environments.
const (
	EnvProduction  = "production"
	EnvDevelopment = "development"
)

// Config is paywarden's configuration. Its secrets are paywarden.Secrets,
// so a Config is safe to log or print: they print as REDACTED.
//
// The secrets here are the ones read at start. A server reads the current
// ones from a secrets.Manager (built with SecretsOptions), which replaces
// them on reload.
type Config struct {
	Env        string // EnvProduction or EnvDevelopment
	ConfigFile string // the --config file, "" if none

	// Stripe keys by capability; a capability without a key of its own has
	// STRIPE_SECRET_KEY's. All zero when loaded WithoutSecrets.
	StripeSecretKey paywarden.Secret
	PaymentsKey     paywarden.Secret
	BillingKey      paywarden.Secret
	ReadKey         paywarden.Secret
	// WebhookSecrets by endpoint: "" is /webhooks/stripe, "connect" is
	// /webhooks/stripe/connect (STRIPE_WEBHOOK_SECRET_CONNECT).
	WebhookSecrets map[string][]secrets.WebhookSecret
	// Secrets is the snapshot the secrets above come from; nil when loaded
	// WithoutSecrets.
	Secrets *secrets.Snapshot

	DatabaseURL           paywarden.Secret // it may hold a password
	DatabaseURLFromFlag   bool             // --database-url was given: a password in it shows in ps
	Addr                  string
	AdminAddr             string
	TLSCertFile           string
	TLSKeyFile            string
	TLSTerminatedUpstream bool
	StripeAPIVersion      string // always the pinned version once loaded
	StripeAPIBase         string // "" is Stripe's
	WebhookTolerance      time.Duration
	AllowMixedMode        bool
	SecretsRefresh        time.Duration // 0 disables the periodic refresh
	LogLevel              slog.Level
	LogFormat             string  // "json" or "text"
	WebhookMaxBody        int64   // bytes
	StripeRateLimit       float64 // requests per second

	// Subscribers receive verified events (PAYWARDEN_SUBSCRIBERS).
	Subscribers []paywarden.Subscriber

	// Args are the arguments left after the flags.
	Args []string
	// Warnings are problems that do not stop paywarden, such as a .env
	// file that .gitignore does not cover. The caller logs them.
	Warnings []string

	// priv is a pointer so that fmt prints its address, not its content:
	// fmt cannot call Secret's methods on unexported fields.
	priv *private
}

type private struct {
	specs    []secrets.Spec
	resolver *secrets.Resolver
}

// Production reports whether Env is production.
func (c *Config) Production() bool { return c.Env == EnvProduction }

// SecretsOptions returns the options of a secrets.Manager for these
// secrets; the caller adds Verify, Logger, Registerer and Redactor.
func (c *Config) SecretsOptions() secrets.Options {
	return secrets.Options{
		Resolver: c.priv.resolver,
		Specs:    c.priv.specs,
		Policy:   secrets.Policy{Production: c.Production(), AllowMixedMode: c.AllowMixedMode},
		Refresh:  c.SecretsRefresh,
	}
}

// RedactValues returns every secret value loaded, for a log redactor: the
// Stripe keys, the webhook secrets, the database URL and its password.
func (c *Config) RedactValues() []string {
	var out []string
	if c.Secrets != nil {
		out = c.Secrets.Values()
	}
	for _, s := range c.Subscribers {
		out = append(out, s.Secret.Reveal())
	}
	if db := c.DatabaseURL.Reveal(); db != "" && db != defaultDatabaseURL {
		out = append(out, db)
		if u, err := url.Parse(db); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok {
				out = append(out, p, url.QueryEscape(p))
			}
		}
	}
	return out
}

// ErrInvalid matches every *Error with errors.Is.
var ErrInvalid = errors.New("invalid configuration")

// Error is what Load returns when the configuration is unusable: every
// problem found, each naming a variable, file or flag and never a secret.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "configuration: " + e.Problems[0]
	}
	return "configuration: " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
