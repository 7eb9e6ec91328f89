package main

import (
	"context"
	"errors"
	"flag"
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

// loadConfig loads the configuration for a command whose flags are in fs.
// Errors are configuration errors (exit 2); -h and --help print fs's flags.
func loadConfig(ctx context.Context, e *env, fs *flag.FlagSet, opts ...config.Option) (*setup, error) {
	fs.SetOutput(e.stdout)
	opts = append([]config.Option{config.WithFlagSet(fs), config.WithDotEnv(".env"), config.WithContext(ctx)}, opts...)
	cfg, err := config.Load(e.args, e.getenv, opts...)
	if errors.Is(err, flag.ErrHelp) {
		return nil, err
	}
	if err != nil {
		return nil, configError(err)
	}
	red := logging.NewRedactor(cfg.RedactValues()...)
	log := logging.New(e.stderr, cfg.LogFormat, cfg.LogLevel, red)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	return &setup{cfg: cfg, log: log, red: red}, nil
}

// store opens the configured database. When migrate is true pending
// migrations are applied; otherwise they stop the command with advice.
func (s *setup) store(ctx context.Context, migrate bool) (paywarden.Store, error) {
	st, err := openStore(ctx, s.cfg.DatabaseURL.Reveal(), s.log)
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

// envStore opens the database for a subcommand that parsed its own flags:
// the configuration comes from the environment and .env, without Stripe
// secrets. devMigrates applies pending migrations in development.
func envStore(ctx context.Context, e *env, name string, devMigrates bool) (paywarden.Store, error) {
	ce := *e
	ce.args = nil
	s, err := loadConfig(ctx, &ce, flag.NewFlagSet(name, flag.ContinueOnError), config.WithoutSecrets())
	if err != nil {
		return nil, err
	}
	return s.store(ctx, devMigrates && !s.cfg.Production())
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
