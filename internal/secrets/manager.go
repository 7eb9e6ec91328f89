package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultPollInterval is how often a Manager started with Run looks at the
// secret files when Options.PollInterval is zero.
const DefaultPollInterval = 10 * time.Second

// Options configure a Manager. Resolver, Specs and Policy come from the
// configuration (config.Config.SecretsOptions); the rest is wiring.
type Options struct {
	Resolver *Resolver
	Specs    []Spec
	Policy   Policy

	// Verify proves that a new Stripe key works, with a call to Stripe,
	// before it replaces the key in use. Nil accepts every well-formed key.
	Verify func(ctx context.Context, capability string, key paywarden.Secret) error
	// Logger receives reload outcomes. Its handler must redact (see
	// internal/logging); nothing logged here holds a value anyway.
	Logger *slog.Logger
	// Registerer receives the reload metrics. Nil registers nowhere.
	Registerer prometheus.Registerer
	// Redactor learns every secret value before the value is used.
	Redactor interface{ Add(values ...string) }
	// Refresh is how often secrets from a secrets manager are re-read by
	// Run. Zero disables it.
	Refresh time.Duration
	// PollInterval is how often Run looks for changed secret files; zero
	// means DefaultPollInterval, negative disables polling.
	PollInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Manager holds the current secrets and replaces them on reload. Readers
// (the webhook receiver on every request, the Stripe client on every call)
// get the current Snapshot without locking.
type Manager struct {
	opts    Options
	cur     atomic.Pointer[Snapshot]
	mu      sync.Mutex // serializes reloads and guards subs
	subs    map[int]func(*Snapshot)
	nextSub int
	log     *slog.Logger
	metrics *metrics
}

// NewManager returns a Manager whose current secrets are initial, as made
// by Load (config.Load makes it). The Redactor, when set, learns initial's
// values now.
func NewManager(initial *Snapshot, opts Options) (*Manager, error) {
	if initial == nil || opts.Resolver == nil {
		return nil, errors.New("secrets.NewManager: initial snapshot and resolver are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = DefaultPollInterval
	}
	m := &Manager{opts: opts, subs: map[int]func(*Snapshot){}, log: opts.Logger}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if m.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	if opts.Redactor != nil {
		opts.Redactor.Add(initial.Values()...)
	}
	m.cur.Store(initial)
	return m, nil
}

// Current returns the current secrets.
func (m *Manager) Current() *Snapshot { return m.cur.Load() }

// Key returns the current key for capability (or the default key).
func (m *Manager) Key(capability string) (Key, bool) { return m.Current().Key(capability) }

// ActiveSecrets returns the current secrets of a webhook endpoint that are
// active at now ("" is /webhooks/stripe).
func (m *Manager) ActiveSecrets(endpoint string, now time.Time) []paywarden.Secret {
	return m.Current().ActiveSecrets(endpoint, now)
}

// Subscribe calls fn with every new Snapshot after a reload that changed
// something, in order. fn runs with reloads held off, so it must be quick
// and must not call Reload. The returned func unsubscribes.
func (m *Manager) Subscribe(fn func(*Snapshot)) (cancel func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextSub
	m.nextSub++
	m.subs[id] = fn
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.subs, id)
	}
}

// Reload reads every secret again. Each secret is replaced independently:
// one that cannot be read or is malformed keeps its old value, and so does
// a new Stripe key that is of the wrong mode or fails Verify. Every failure
// is logged and counted in paywarden_secret_reload_failures_total{secret};
// the returned error joins them. Every secret that reloaded is counted in
// paywarden_secret_reloads_total{secret}.
func (m *Manager) Reload(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.cur.Load()
	now := m.opts.Now()
	next := newSnapshot(now)
	next.files = statFiles(m.opts.Specs)

	var errs []error
	fail := func(sp Spec, err error) {
		errs = append(errs, err)
		m.metrics.failures.WithLabelValues(sp.Name).Inc()
		m.log.Error("secret reload failed; keeping the previous value", "secret", sp.Name, "err", err)
	}
	var changedKeys []Spec
	for _, sp := range m.opts.Specs {
		res, err := resolveSpec(ctx, m.opts.Resolver, sp, now)
		if err != nil {
			fail(sp, err)
			keepOld(next, old, sp)
			continue
		}
		next.add(sp, res)
		if sp.Kind == KindStripeKey {
			if k, ok := old.keys[sp.Capability]; !ok || !k.Value.Equal(res.key.Value) {
				changedKeys = append(changedKeys, sp)
				continue // counted once checked and verified
			}
		}
		m.metrics.reloads.WithLabelValues(sp.Name).Inc()
	}

	// New keys are checked for mode before Stripe is asked about them, then
	// verified one by one; a failure puts the old key back.
	if err := checkModes(next.keys, m.opts.Policy); err != nil && len(changedKeys) > 0 {
		for _, sp := range changedKeys {
			fail(sp, specError(sp, fmt.Errorf("new key refused: %w", err)))
			keepOld(next, old, sp)
		}
		changedKeys = nil
	}
	var verified []Spec
	for _, sp := range changedKeys {
		if err := m.verify(ctx, sp, next.keys[sp.Capability].Value); err != nil {
			fail(sp, specError(sp, fmt.Errorf("new key failed verification: %w", err)))
			keepOld(next, old, sp)
			continue
		}
		verified = append(verified, sp)
	}
	if err := checkModes(next.keys, m.opts.Policy); err != nil {
		// Only some keys of a change of mode verified: keep the old set.
		for _, sp := range verified {
			fail(sp, specError(sp, fmt.Errorf("new key refused: %w", err)))
			keepOld(next, old, sp)
		}
		verified = nil
	}
	for _, sp := range verified {
		m.metrics.reloads.WithLabelValues(sp.Name).Inc()
		m.log.Info("stripe key replaced", "secret", sp.Name,
			"old", old.keys[sp.Capability].Value.Fingerprint(), "new", next.keys[sp.Capability].Value.Fingerprint())
	}

	if sameSecrets(old, next) {
		// Nothing to tell anyone; still remember the new file stats so an
		// unchanged file is not read again at every poll.
		old2 := *old
		old2.files = next.files
		m.cur.Store(&old2)
		return errors.Join(errs...)
	}
	if m.opts.Redactor != nil {
		m.opts.Redactor.Add(next.Values()...)
	}
	m.cur.Store(next)
	m.log.Info("secrets reloaded", "keys", len(next.keys), "webhook_endpoints", len(next.webhooks))
	for _, fn := range m.subs {
		fn(next)
	}
	return errors.Join(errs...)
}

func (m *Manager) verify(ctx context.Context, sp Spec, key paywarden.Secret) error {
	if m.opts.Verify == nil {
		return nil
	}
	return m.opts.Verify(ctx, sp.Capability, key)
}

// keepOld puts what old had for sp into next.
func keepOld(next, old *Snapshot, sp Spec) {
	switch sp.Kind {
	case KindStripeKey:
		if k, ok := old.keys[sp.Capability]; ok {
			next.keys[sp.Capability] = k
		} else {
			delete(next.keys, sp.Capability)
		}
	case KindWebhook:
		if w, ok := old.webhooks[sp.Endpoint]; ok {
			next.webhooks[sp.Endpoint] = w
		} else {
			delete(next.webhooks, sp.Endpoint)
		}
	}
}

func sameSecrets(a, b *Snapshot) bool {
	eqKey := func(x, y Key) bool { return x.Value.Equal(y.Value) && x.Source == y.Source }
	eqHooks := func(x, y []WebhookSecret) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !x[i].Value.Equal(y[i].Value) || !x[i].NotAfter.Equal(y[i].NotAfter) {
				return false
			}
		}
		return true
	}
	return maps.EqualFunc(a.keys, b.keys, eqKey) && maps.EqualFunc(a.webhooks, b.webhooks, eqHooks)
}

// CheckFiles reloads when a secret file has changed since the last load,
// and reports whether it did. Run calls it every PollInterval; tests call
// it directly.
func (m *Manager) CheckFiles(ctx context.Context) (bool, error) {
	if !filesChanged(m.Current().files) {
		return false, nil
	}
	return true, m.Reload(ctx)
}

// Run reloads on every value from hup (pass a channel given to
// signal.Notify for SIGHUP), when a secret file changes, and every Refresh
// when a secret comes from a secrets manager, until ctx is done. Reload
// failures are logged and counted, never returned: the old secrets stay.
func (m *Manager) Run(ctx context.Context, hup <-chan os.Signal) error {
	var poll, refresh <-chan time.Time
	if m.opts.PollInterval > 0 && len(m.Current().files) > 0 {
		t := time.NewTicker(m.opts.PollInterval)
		defer t.Stop()
		poll = t.C
	}
	if m.opts.Refresh > 0 && managed(m.opts.Specs) {
		t := time.NewTicker(m.opts.Refresh)
		defer t.Stop()
		refresh = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			m.log.Info("reloading secrets on SIGHUP")
			_ = m.Reload(ctx)
		case <-poll:
			_, _ = m.CheckFiles(ctx)
		case <-refresh:
			_ = m.Reload(ctx)
		}
	}
}

type metrics struct {
	reloads, failures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paywarden_secret_reloads_total",
			Help: "Secrets read again successfully (changed or not), by variable.",
		}, []string{"secret"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paywarden_secret_reload_failures_total",
			Help: "Secret reloads that failed and kept the previous value, by variable.",
		}, []string{"secret"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []**prometheus.CounterVec{&m.reloads, &m.failures} {
		if err := reg.Register(*c); err != nil {
			// A second Manager on one registry shares the counters.
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
			*c = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return m, nil
}
