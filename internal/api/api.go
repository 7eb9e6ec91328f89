// Package api is paywarden's internal HTTP API (PRODUCT.md §5): payments,
// customers, subscriptions and events for internal services that hold a
// paywarden token instead of a Stripe key.
//
// routes.go lists the whole surface. Every request passes, in order: a
// request id, the access log, bearer-token authentication with a scope per
// route, and, for POST and DELETE, the idempotency layer, which replays a
// stored answer for a repeated Idempotency-Key and derives the key sent to
// Stripe from the caller's, so that a retry after a crash never acts twice.
// Inputs are validated before Stripe is called. Every error is an RFC 9457
// problem document whose type is one of the codes of package paywarden.
//
// What a layer learns for the access log (route, token, error, replay) and
// what the idempotency layer tells a handler (the Stripe key, whether it
// acted) travel in explicit response writers, never as writable context
// values. The API shows the domain's types (paywarden.Payment, ...); it
// must not import the Stripe SDK nor call Stripe other than through Stripe.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// Store is what the API needs of paywarden's store; paywarden.Store has it.
type Store interface {
	paywarden.TokenStore
	paywarden.IdempotencyStore

	// Event, ListEvents and ReplayEvent are those of paywarden.EventStore.
	Event(ctx context.Context, id string) (*paywarden.Event, error)
	ListEvents(ctx context.Context, f paywarden.EventFilter) ([]*paywarden.Event, error)
	ReplayEvent(ctx context.Context, id string) error

	// UpsertObjects is that of paywarden.MirrorStore: the write-through of
	// what Stripe answered to a change.
	UpsertObjects(ctx context.Context, objs []*paywarden.MirrorObject) (written []bool, err error)

	// ListObjects is that of paywarden.MirrorStore.
	ListObjects(ctx context.Context, f paywarden.MirrorFilter) ([]*paywarden.MirrorObject, error)
	// ObjectsAt and ObjectHistory are those of paywarden.MirrorHistoryStore,
	// for reports.
	ObjectsAt(ctx context.Context, typ string, ids []string, at time.Time) ([]*paywarden.MirrorObject, error)
	ObjectHistory(ctx context.Context, typ, id string) ([]*paywarden.MirrorObject, error)
}

// Stripe is what the API needs of Stripe; *stripeapi.Client has it. Each
// method returns a *paywarden.Error on failure. A method that changes an
// object also returns the record of Stripe's answer for the mirror (nil
// when the answer could not be read as one), which the API writes through.
type Stripe interface {
	CreatePaymentIntent(ctx context.Context, idemKey string, p paywarden.PaymentParams) (*paywarden.Payment, *paywarden.MirrorObject, error)
	GetPaymentIntent(ctx context.Context, id string) (*paywarden.Payment, error)
	CapturePaymentIntent(ctx context.Context, idemKey, id string, amount int64) (*paywarden.Payment, *paywarden.MirrorObject, error)
	CancelPaymentIntent(ctx context.Context, idemKey, id string) (*paywarden.Payment, *paywarden.MirrorObject, error)
	CreateRefund(ctx context.Context, idemKey string, p paywarden.RefundParams) (*paywarden.Refund, *paywarden.MirrorObject, error)
	CreateCustomer(ctx context.Context, idemKey string, p paywarden.CustomerParams) (*paywarden.Customer, *paywarden.MirrorObject, error)
	GetCustomer(ctx context.Context, id string) (*paywarden.Customer, error)
	CreateSubscription(ctx context.Context, idemKey string, p paywarden.SubscriptionParams) (*paywarden.Subscription, *paywarden.MirrorObject, error)
	GetSubscription(ctx context.Context, id string) (*paywarden.Subscription, error)
	ListSubscriptions(ctx context.Context, p paywarden.SubscriptionListParams) (*paywarden.SubscriptionList, error)
	UpdateSubscription(ctx context.Context, idemKey, id string, p paywarden.SubscriptionUpdate) (*paywarden.Subscription, *paywarden.MirrorObject, error)
	CancelSubscription(ctx context.Context, idemKey, id string, atPeriodEnd bool) (*paywarden.Subscription, *paywarden.MirrorObject, error)
}

var _ Stripe = (*stripeapi.Client)(nil)

// Defaults of Options.
const (
	DefaultMaxBodyBytes    = 64 << 10
	DefaultIdempotencyTTL  = 24 * time.Hour
	DefaultIdempotencyLock = 2 * time.Minute
	DefaultRequestTimeout  = 30 * time.Second
	// touchInterval is how stale a token's last-used time may get before a
	// request records it: one write a minute per token, not one a request.
	touchInterval = time.Minute
)

// Options configures an API.
type Options struct {
	Store  Store  // required
	Stripe Stripe // required
	// Logger receives the access log and error details; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// MaxBodyBytes caps request bodies (413 beyond); zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// IdempotencyTTL is how long an Idempotency-Key is remembered; zero
	// means DefaultIdempotencyTTL.
	IdempotencyTTL time.Duration
	// IdempotencyLock is how long a request in flight holds its key before
	// a repeat may take it over (the first one is presumed crashed). It
	// must exceed RequestTimeout; zero means DefaultIdempotencyLock.
	IdempotencyLock time.Duration
	// RequestTimeout bounds the work of one request, Stripe retries
	// included; zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Registerer takes the API's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// API serves the internal API.
type API struct {
	store   Store
	stripe  Stripe
	logger  *slog.Logger
	now     func() time.Time
	maxBody int64
	ttl     time.Duration
	lock    time.Duration
	timeout time.Duration
	handler http.Handler

	// mirrorFailures counts write-throughs that failed after Stripe acted.
	mirrorFailures prometheus.Counter
}

// New returns an API. It panics without a Store or Stripe: that is a wiring
// mistake, not a runtime condition.
func New(opts Options) *API {
	if opts.Store == nil || opts.Stripe == nil {
		panic("api.New: Store and Stripe are required")
	}
	a := &API{
		store:   opts.Store,
		stripe:  opts.Stripe,
		logger:  opts.Logger,
		now:     opts.Now,
		maxBody: opts.MaxBodyBytes,
		ttl:     opts.IdempotencyTTL,
		lock:    opts.IdempotencyLock,
		timeout: opts.RequestTimeout,
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.ttl <= 0 {
		a.ttl = DefaultIdempotencyTTL
	}
	if a.lock <= 0 {
		a.lock = DefaultIdempotencyLock
	}
	if a.timeout <= 0 {
		a.timeout = DefaultRequestTimeout
	}
	a.mirrorFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "paywarden_api_mirror_write_failures_total",
		Help: "Objects Stripe answered a change with that could not be written to the mirror; their webhook events heal it."})
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(a.mirrorFailures)
	}
	mux := http.NewServeMux()
	a.routes(mux)
	a.handler = a.requestID(a.accessLog(a.recoverPanic(mux)))
	return a
}

// Handler returns the API's handler. Its routes carry their full /v1/...
// paths: mount it as mux.Handle("/v1/", a.Handler()).
func (a *API) Handler() http.Handler { return a.handler }
