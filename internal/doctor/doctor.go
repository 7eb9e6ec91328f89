// Package doctor checks paywarden's configuration and posture: offline
// from the configuration, the files and the database, and online by asking
// Stripe about the keys, their permissions, the webhook endpoints and the
// account. Every check ends ok, warn or fail with one line of what to do.
//
// The command `paywarden doctor` prints the checks; the dashboard calls Run
// for the same list.
package doctor

import (
	"context"
	"fmt"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// Status is the outcome of a check.
type Status string

// Statuses, from good to bad.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one finding: what was checked, how it ended, what was seen, and
// for warn and fail one line of what to do.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Advice string `json:"advice,omitempty"`
}

// DefaultKeyMaxAge is the age after which a key is due for rotation.
const DefaultKeyMaxAge = 90 * 24 * time.Hour

// Store is what the offline checks read of the database.
type Store interface {
	PendingMigrations(ctx context.Context) (int, error)
	CountEvents(ctx context.Context) (map[paywarden.EventStatus]int, error)
	Keys(ctx context.Context) ([]*paywarden.KeyRecord, error)
}

// Stripe is what the online checks ask Stripe; *stripeapi.Client is one.
type Stripe interface {
	Verify(ctx context.Context, key paywarden.Secret) error
	ProbePermission(ctx context.Context, p stripeapi.Probe) (bool, error)
	ListWebhookEndpoints(ctx context.Context) ([]stripeapi.WebhookEndpoint, error)
	Account(ctx context.Context) (stripeapi.AccountInfo, error)
}

// Options are what Run checks.
type Options struct {
	// Config is the configuration as serve would load it. When it could not
	// be loaded, ConfigErr says why and Config may be one loaded without
	// secrets (for the database checks) or nil.
	Config    *config.Config
	ConfigErr error
	// Store is the database, nil when it could not be opened: StoreErr
	// says why.
	Store    Store
	StoreErr error
	// Stripe, when set, runs the online checks.
	Stripe Stripe
	// ReloadFailures returns how many secret reloads a running serve has
	// failed; nil skips the check. An error means no serve answered.
	ReloadFailures func(ctx context.Context) (float64, error)
	// KeyMaxAge is when a key is due for rotation; zero means
	// DefaultKeyMaxAge.
	KeyMaxAge time.Duration
	// APIVersion is the pinned Stripe API version.
	APIVersion string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Run runs every check and returns them in a stable order: configuration,
// files, database, then (with Stripe) the online checks.
func Run(ctx context.Context, o Options) []Check {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeyMaxAge <= 0 {
		o.KeyMaxAge = DefaultKeyMaxAge
	}
	var checks []Check
	add := func(c ...Check) { checks = append(checks, c...) }
	add(checkConfig(o))
	if cfg := o.Config; cfg != nil {
		add(checkMode(cfg))
		add(checkTLS(cfg, o.Now()))
		add(checkAdminAddr(cfg))
		add(checkDatabaseFlag(cfg))
		add(checkDatabaseFiles(cfg)...)
		if cfg.Secrets != nil {
			add(checkKeyKinds(cfg))
			add(checkSecretFiles(cfg.Secrets.Files()))
		}
	}
	add(checkDatabase(ctx, o)...)
	if o.ReloadFailures != nil {
		add(checkReloads(ctx, o.ReloadFailures))
	}
	if o.Stripe != nil && o.Config != nil && o.Config.Secrets != nil {
		add(online(ctx, o)...)
	}
	return checks
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

func ok(name, format string, a ...any) Check {
	return Check{Name: name, Status: OK, Detail: fmt.Sprintf(format, a...)}
}

func warn(name, advice, format string, a ...any) Check {
	return Check{Name: name, Status: Warn, Detail: fmt.Sprintf(format, a...), Advice: advice}
}

func fail(name, advice, format string, a ...any) Check {
	return Check{Name: name, Status: Fail, Detail: fmt.Sprintf(format, a...), Advice: advice}
}
