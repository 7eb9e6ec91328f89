// Package ui serves the operators' dashboard at /ui/: an overview of the
// event flow, the event timeline with replays, the posture checks and the
// revenue and MRR charts.
//
// Pages are rendered on the server with html/template and work without
// JavaScript; charts are SVG drawn on the server, so the dashboard has no
// script at all and its Content-Security-Policy forbids every script.
// Every asset is embedded. Operators log in by posting a token with the
// admin scope; the session that follows is stored hashed in the database,
// expires, and ends when the token is revoked. Every state-changing request
// carries the session's synchronizer CSRF token.
//
// The posture and report data come from other packages through the func
// types declared here (PostureFunc, RevenueFunc, SubscriptionsFunc,
// JobsFunc), so that this package depends on none of them; a nil func shows
// as "not available".
package ui

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/logging"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the dashboard reads and changes.
type Store interface {
	paywarden.EventStore
	paywarden.EventQueryStore
	paywarden.MirrorStore
	paywarden.TokenStore
	paywarden.KeyStore
	paywarden.SessionStore
}

// Check is one posture check, as `paywarden doctor` reports it.
type Check struct {
	Name   string
	Status string // "ok", "warn" or "fail"
	Detail string
	Advice string // one line: what to do about a warn or fail
}

// PostureFunc runs the posture checks.
type PostureFunc func(ctx context.Context) ([]Check, error)

// RevenueRow is one period and currency of the revenue report; amounts in
// minor units.
type RevenueRow struct {
	Period   string // the period's first day, YYYY-MM-DD
	Currency string
	Gross    int64
	Refunded int64
	Disputed int64
	Fees     int64
	Net      int64
	Count    int
}

// RevenueFunc returns the revenue report for [from, to) by interval
// ("day", "week" or "month").
type RevenueFunc func(ctx context.Context, from, to time.Time, interval string) ([]RevenueRow, error)

// MRR is the monthly recurring revenue of one currency and how it moved;
// amounts in minor units.
type MRR struct {
	Currency    string
	MRR         int64
	New         int64
	Expansion   int64
	Contraction int64
	Churned     int64
}

// Subscriptions is the subscriptions report at one time.
type Subscriptions struct {
	ByStatus map[string]int // active, trialing, past_due, canceled
	MRR      []MRR
}

// SubscriptionsFunc returns the subscriptions report at a time.
type SubscriptionsFunc func(ctx context.Context, at time.Time) (*Subscriptions, error)

// JobRun is the last run of a background job (reconcile, sync).
type JobRun struct {
	Name   string
	At     time.Time
	OK     bool
	Detail string
}

// JobsFunc returns the last run of each background job that records one.
type JobsFunc func(ctx context.Context) ([]JobRun, error)

// Options configure the dashboard. Store, HashToken and Redactor are
// required.
type Options struct {
	Store Store
	// HashToken is how tokens are stored (the token package's HashToken).
	HashToken func(token string) []byte
	// Redactor scrubs event payloads and mirror objects before they are
	// shown, exactly as log lines are scrubbed.
	Redactor *logging.Redactor
	// Gatherer is read for the subscriber delivery counters; nil: not shown.
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger

	Posture       PostureFunc       // nil: not available
	Revenue       RevenueFunc       // nil: not available
	Subscriptions SubscriptionsFunc // nil: not available
	Jobs          JobsFunc          // nil: not recorded

	SessionTTL  time.Duration // default 8h
	RotationAge time.Duration // a key older than this is due for rotation; default 90 days, as keys status
	// LoginEvery and LoginBurst rate-limit login attempts per client
	// address; default one every 6s with a burst of 10.
	LoginEvery time.Duration
	LoginBurst int
	Now        func() time.Time
}

// UI is the dashboard.
type UI struct {
	o      Options
	pages  map[string]*template.Template
	static http.Handler
	logins *limiter
}

// New returns the dashboard.
func New(o Options) *UI {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	def(&o.SessionTTL, 8*time.Hour)
	def(&o.RotationAge, 90*24*time.Hour)
	def(&o.LoginEvery, 6*time.Second)
	if o.LoginBurst <= 0 {
		o.LoginBurst = 10
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return &UI{
		o:      o,
		pages:  parsePages(),
		static: http.StripPrefix("/ui/static/", http.FileServerFS(sub)),
		logins: newLimiter(o.LoginEvery, o.LoginBurst, o.Now),
	}
}

func def(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Handler returns the dashboard's routes, all under /ui/. Every response
// carries the security headers.
func (u *UI) Handler() http.Handler {
	mux := http.NewServeMux()
	// Files only: a GET of the directory itself falls to the 404 below.
	mux.Handle("GET /ui/static/{file}", u.static)
	mux.HandleFunc("GET /ui/login", u.loginPage)
	mux.HandleFunc("POST /ui/login", u.login)

	auth := func(pattern string, h func(w http.ResponseWriter, r *http.Request, s *paywarden.Session)) {
		mux.Handle(pattern, u.authenticated(h))
	}
	auth("POST /ui/logout", u.logout)
	auth("GET /ui/{$}", u.overview)
	auth("GET /ui/events", u.events)
	auth("GET /ui/events/{id}", u.event)
	auth("POST /ui/events/{id}/replay", u.replayEvent)
	auth("POST /ui/events/replay", u.replayType)
	auth("GET /ui/posture", u.posture)
	auth("GET /ui/revenue", u.revenue)
	auth("GET /ui/revenue.csv", u.revenueCSV)
	mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, paywarden.Errorf(paywarden.ENOTFOUND, "There is no such page."))
	})
	// Cross-origin POSTs are refused before any handler runs, whatever the
	// CSRF token: defence in depth for browsers that send Sec-Fetch-Site.
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}
