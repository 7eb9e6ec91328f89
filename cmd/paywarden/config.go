package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
	"github.com/paywarden/paywarden/internal/logging"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// setup is what every server-side command starts from: its configuration,
// a logger that redacts every loaded secret, and the redactor behind it.
type setup struct {
	cfg *config.Config
	log *slog.Logger
	red *logging.Redactor
}

// newSetup makes the logger of a loaded configuration and logs its
// warnings.
func newSetup(e *env, cfg *config.Config) *setup {
	red := e.red
	if red == nil {
		red = logging.NewRedactor()
	}
	red.Add(cfg.RedactValues()...)
	// The handler redacts each record itself: it writes to the raw stderr
	// rather than through the line redactor a second time.
	log := logging.New(e.logOut(), cfg.LogFormat, cfg.LogLevel, red)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	return &setup{cfg: cfg, log: log, red: red}
}

// store opens the configured database. When migrate is true it is created
// if need be and pending migrations are applied; otherwise a database that
// does not exist is not created, and pending migrations stop the command
// with advice.
func (s *setup) store(ctx context.Context, migrate bool) (paywarden.Store, error) {
	st, err := openStore(ctx, s.cfg.DatabaseURL.Reveal(), s.log, !migrate)
	if err != nil {
		return nil, s.safe(err)
	}
	if migrate {
		if n, err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, s.safe(err)
		} else if n > 0 {
			s.log.Info("applied migrations", "count", n)
		}
		return st, nil
	}
	n, err := st.PendingMigrations(ctx)
	if err != nil {
		st.Close()
		return nil, s.safe(err)
	}
	if n > 0 {
		st.Close()
		return nil, configError(errors.New("the database has pending migrations: run 'paywarden migrate' first"))
	}
	return st, nil
}

// stripeClient returns the Stripe client of the configured keys.
func (s *setup) stripeClient() (*stripeapi.Client, error) { return s.stripeClientFor(nil) }

// stripeClientFor returns the Stripe client of the configured keys whose
// rate limit is kept in st when st can share it between replicas
// (PostgreSQL), in memory otherwise.
func (s *setup) stripeClientFor(st paywarden.Store) (*stripeapi.Client, error) {
	buckets, _ := st.(stripeapi.BucketStore)
	sc, err := stripeapi.New(stripeapi.Config{
		Keys:      keysOf(s.cfg.Secrets),
		APIBase:   s.cfg.StripeAPIBase,
		RateLimit: s.cfg.StripeRateLimit,
		Buckets:   buckets,
		Logger:    s.log,
	})
	return sc, s.safe(err)
}

// safe returns err with every loaded secret scrubbed from its text: errors
// from libraries may quote a connection string or a response.
func (s *setup) safe(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	code := 1
	if errors.As(err, &ee) {
		code = ee.code
	}
	return &exitError{code: code, err: errors.New(s.red.String(err.Error()))}
}
