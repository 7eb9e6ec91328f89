package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
	"github.com/paywarden/paywarden/internal/eventproc"
	"github.com/paywarden/paywarden/internal/logging"
	"github.com/paywarden/paywarden/internal/secrets"
	"github.com/paywarden/paywarden/internal/server"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/ui"
	"github.com/paywarden/paywarden/internal/webhook"
)

func init() {
	commands["serve"] = command{summary: "run the HTTPS server", run: runServe}
}

func runServe(ctx context.Context, e *env) error {
	c := serveCmdline()
	if err := c.parse(e); err != nil {
		return err
	}
	s, err := c.load(ctx, e)
	if err != nil {
		return err
	}
	cfg, log := s.cfg, s.log
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if err := checkPrivateDatabase(s); err != nil {
		return err
	}
	tlsConfig, err := serveTLS(s)
	if err != nil {
		return configError(err)
	}

	// Development applies pending migrations; production refuses them, as
	// migrations are a deploy step.
	st, err := s.store(ctx, !cfg.Production())
	if err != nil {
		return err
	}
	defer st.Close()

	sc, err := s.stripeClientFor(st)
	if err != nil {
		return err
	}

	mgr, cancelSub, err := startSecrets(ctx, s, st, sc, reg)
	if err != nil {
		return err
	}
	defer cancelSub()

	// Workers run until the server has stopped and the last batch is stored.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	// ingest is set before the workers start; they pause while it takes a burst.
	var ingest *webhook.Ingest
	proc := eventproc.New(eventproc.Options{
		Busy:       func() bool { return ingest.Busy() },
		Store:      st,
		Fetcher:    stripeapi.Worker{Client: sc}, // background: the API has priority
		APIVersion: stripeapi.APIVersion,
		Logger:     log,
		Metrics:    eventproc.NewMetrics(reg),
		Owner:      ownerName(),

		Subscribers: cfg.Subscribers,
		Registerer:  reg,
	})

	ingest = webhook.NewIngest(webhook.IngestOptions{Store: st, Wake: proc.Wake, Registerer: reg})
	reg.MustRegister(eventproc.NewEventsCollector(st))

	receiver := newReceiver(s, mgr, ingest, reg)

	srv := server.New(server.Options{
		Addr:       cfg.Addr,
		AdminAddr:  cfg.AdminAddr,
		TLS:        tlsConfig,
		Webhooks:   receiver,
		API:        api.New(api.Options{Store: st, Stripe: sc, Logger: log, Registerer: reg}).Handler(),
		UI:         dashboard(e, s, st, reg),
		Ready:      ready(st, mgr),
		Gatherer:   reg,
		Logger:     log,
		Middleware: []func(http.Handler) http.Handler{logging.Middleware(log)},
	})
	if err := srv.Listen(); err != nil {
		return configError(err)
	}

	var wg sync.WaitGroup
	startJobs(workCtx, &wg, s, st, sc, mgr, proc)

	log.Info("paywarden serving", "env", cfg.Env, "url", srv.URL(), "admin", "http://"+srv.AdminAddr().String(),
		"stripe_api_version", stripeapi.APIVersion, "livemode", cfg.Secrets.Livemode())
	fmt.Fprintf(e.stdout, "serving %s (admin http://%s)\n", srv.URL(), srv.AdminAddr())

	err = srv.Serve(ctx, 25*time.Second)
	// Every request has been answered: store what is queued, then stop
	// the workers.
	ingest.Close()
	stopWork()
	wg.Wait()
	log.Info("paywarden stopped")
	return s.safe(err)
}

// serveCmdline is serve's command line: every setting as a flag.
func serveCmdline() *cmdline {
	c := newCmdline("serve", "run the HTTPS server: webhook receiver, internal API, health, metrics").
		note("Secrets are never flags: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET (and STRIPE_WEBHOOK_SECRET_<NAME>),\n"+
			"PAYWARDEN_PAYMENTS_KEY, PAYWARDEN_BILLING_KEY, PAYWARDEN_READ_KEY come from the environment, X_FILE, or the config file\n"+
			"as references (env:, file:, awssm:, vault:). In production pending migrations stop serve: run 'paywarden migrate'.\n"+
			"See docs/CONFIGURATION.md.").
		example("paywarden serve --config /etc/paywarden/paywarden.toml",
			"STRIPE_SECRET_KEY_FILE=/run/secrets/stripe STRIPE_WEBHOOK_SECRET_FILE=/run/secrets/whsec paywarden serve --addr :8443")
	c.settings()
	return c
}

// startSecrets starts the secrets manager: a reloaded Stripe key is
// verified against Stripe before use, then handed to the client and its
// fingerprint recorded. cancel stops following reloads.
func startSecrets(ctx context.Context, s *setup, st paywarden.Store, sc *stripeapi.Client,
	reg *prometheus.Registry) (*secrets.Manager, func(), error) {
	cfg, log := s.cfg, s.log
	opts := cfg.SecretsOptions()
	opts.Verify = func(ctx context.Context, capability string, key paywarden.Secret) error {
		return sc.Verify(ctx, key)
	}
	opts.Logger, opts.Registerer, opts.Redactor = log, reg, s.red
	mgr, err := secrets.NewManager(cfg.Secrets, opts)
	if err != nil {
		return nil, nil, s.safe(err)
	}
	recordKeys(ctx, log, st, cfg.Secrets)
	cancelSub := mgr.Subscribe(func(snap *secrets.Snapshot) {
		if err := sc.SetKeys(keysOf(snap)); err != nil {
			log.Error("using reloaded Stripe keys", "err", err)
			return
		}
		recordKeys(context.WithoutCancel(ctx), log, st, snap)
	})
	return mgr, cancelSub, nil
}

// startJobs starts what runs beside the listeners until ctx ends: the
// workers, secret reloads (SIGHUP, files, managers), the idempotency
// clean-up and the hourly reconcile with Stripe's Events API.
func startJobs(ctx context.Context, wg *sync.WaitGroup, s *setup, st paywarden.Store, sc *stripeapi.Client,
	mgr *secrets.Manager, proc *eventproc.Processor) {
	log := s.log
	wg.Go(func() { defer logging.Recover(log, "workers"); proc.Run(ctx) })
	// SIGHUP is caught from here on, before serve says it is serving, so
	// that one sent then reloads rather than ends the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	wg.Go(func() {
		defer signal.Stop(hup)
		defer logging.Recover(log, "secrets")
		mgr.Run(ctx, hup)
	})
	wg.Go(func() {
		defer logging.Recover(log, "idempotency cleanup")
		api.ExpireIdempotency(ctx, log, st, time.Minute)
	})
	wg.Go(func() {
		defer logging.Recover(log, "reconcile")
		webhook.ReconcileEvery(ctx, log, sc, st, proc.Wake, stripeapi.APIVersion, s.cfg.Secrets.Livemode(), time.Hour)
	})
}

// newReceiver is the webhook receiver: each endpoint's active secrets from
// the manager, events handed to ingest.
func newReceiver(s *setup, mgr *secrets.Manager, ingest *webhook.Ingest, reg *prometheus.Registry) *webhook.Receiver {
	return webhook.NewReceiver(webhook.Options{
		Secrets:    mgr.ActiveSecrets,
		Submit:     ingest.Submit,
		Metrics:    webhook.NewMetrics(reg),
		Logger:     s.log,
		Tolerance:  s.cfg.WebhookTolerance,
		MaxBody:    s.cfg.WebhookMaxBody,
		Livemode:   s.cfg.Secrets.Livemode(),
		APIVersion: stripeapi.APIVersion,
		Known:      func(ep string) bool { return slices.Contains(mgr.Current().Endpoints(), ep) },
	})
}

// ready is /readyz: the database answers, its migrations are current and
// the secrets are loaded.
func ready(st paywarden.Store, mgr *secrets.Manager) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := st.Ping(ctx); err != nil {
			return err
		}
		if n, err := st.PendingMigrations(ctx); err != nil || n > 0 {
			return fmt.Errorf("migrations pending: %d (%v)", n, err)
		}
		if mgr.Current() == nil {
			return errors.New("secrets not loaded")
		}
		return nil
	}
}

// dashboard is /ui/, its posture page on doctor and its charts on the
// reports.
func dashboard(e *env, s *setup, st paywarden.Store, reg *prometheus.Registry) http.Handler {
	return ui.New(ui.Options{Store: st, HashToken: paywarden.HashToken, Redactor: s.red, Gatherer: reg,
		Logger: s.log, Posture: postureFunc(s.cfg, st, reg, keyMaxAge(e)),
		Revenue: uiRevenue(st), Subscriptions: uiSubscriptions(st)}).Handler()
}

// serveTLS returns the main listener's TLS configuration: the configured
// certificate, none behind a TLS-terminating proxy (which must be explicit),
// or in development a self-signed one made now.
func serveTLS(s *setup) (*tls.Config, error) {
	cfg := s.cfg
	switch {
	case cfg.TLSCertFile != "" || cfg.TLSKeyFile != "":
		return server.LoadTLS(cfg.TLSCertFile, cfg.TLSKeyFile)
	case cfg.TLSTerminatedUpstream:
		s.log.Warn("serving plain HTTP: TLS is terminated upstream (PAYWARDEN_TLS_TERMINATED_UPSTREAM=true)")
		return nil, nil
	case !cfg.Production():
		return server.SelfSignedTLS(time.Now())
	}
	return nil, errors.New("production needs PAYWARDEN_TLS_CERT_FILE and PAYWARDEN_TLS_KEY_FILE, or PAYWARDEN_TLS_TERMINATED_UPSTREAM=true behind a TLS-terminating proxy")
}

// keysOf returns the Stripe keys of a snapshot by capability.
func keysOf(snap *secrets.Snapshot) map[string]paywarden.Secret {
	keys := map[string]paywarden.Secret{}
	for c, k := range snap.Keys() {
		keys[c] = k.Value
	}
	return keys
}

// recordKeys records the fingerprints of the keys in use, for keys status.
func recordKeys(ctx context.Context, log *slog.Logger, st paywarden.KeyStore, snap *secrets.Snapshot) {
	now := time.Now()
	for c, k := range snap.Keys() {
		_, err := st.RecordKey(ctx, &paywarden.KeyRecord{
			Fingerprint: k.Value.Fingerprint(), Capability: c, Source: k.Source,
			Kind: k.Info.Kind, Livemode: k.Info.Livemode, FirstSeen: now, LastSeen: now,
		})
		if err != nil {
			log.Error("recording a key's fingerprint", "capability", c, "err", err)
		}
	}
}

// ownerName names this process for event leases: unique across replicas
// and restarts.
func ownerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
