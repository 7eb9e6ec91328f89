// Package webhook receives Stripe webhooks: it verifies each request's
// signature against every active secret of its endpoint, decodes only the
// event's envelope, and hands the event to Ingest, which commits it durably
// (grouped with concurrent events) before the request is answered. Nothing
// is stored for a request that fails any check. It also recovers events
// Stripe never delivered (Reconcile).
//
// It must not process events (eventproc does, after the commit) nor call
// Stripe other than through an EventLister.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripesig"
)

// DefaultEndpoint is the endpoint name of POST /webhooks/stripe.
const DefaultEndpoint = "default"

// ErrQueueFull is what Submit returns when the write queue is full. The
// receiver answers 503 so that Stripe retries later; memory stays bounded.
var ErrQueueFull = errors.New("write queue full")

// SecretSource returns the webhook secrets of an endpoint that are active
// at now; endpoint "" is POST /webhooks/stripe, as in the secrets
// configuration. It is called on every request, so a reload takes effect
// at once.
type SecretSource func(endpoint string, now time.Time) []paywarden.Secret

// Submitter durably stores an event and reports whether it was new. It
// returns only once the event is committed and synced. It returns
// ErrQueueFull, at once, when it cannot take more.
type Submitter func(ctx context.Context, e *paywarden.Event) (created bool, err error)

// Options configure a Receiver. Secrets, Submit and Metrics are required.
type Options struct {
	Secrets    SecretSource
	Submit     Submitter
	Metrics    *Metrics
	Logger     *slog.Logger
	Tolerance  time.Duration    // default 300s
	MaxBody    int64            // default 512 KiB
	Livemode   bool             // the mode of the Stripe key; events of the other mode are refused
	APIVersion string           // the pinned API version; events of another are quarantined
	Now        func() time.Time // default time.Now

	// Known reports whether a named endpoint (POST /webhooks/stripe/{name})
	// is configured; an unknown one answers 404 not_found instead of a
	// signature failure that would send the operator after the secret.
	// Nil knows every name.
	Known func(endpoint string) bool
}

// Receiver is the http.Handler of POST /webhooks/stripe and
// POST /webhooks/stripe/{endpoint}.
type Receiver struct{ o Options }

// NewReceiver returns a Receiver.
func NewReceiver(o Options) *Receiver {
	if o.Tolerance <= 0 {
		o.Tolerance = 300 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 512 << 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Receiver{o: o}
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	m := rc.o.Metrics
	m.received.Inc()

	endpoint := r.PathValue("endpoint")
	if endpoint != "" && rc.o.Known != nil && !rc.o.Known(endpoint) {
		rc.reject(w, r, http.StatusNotFound, "unknown_endpoint", "No webhook endpoint of this name is configured.")
		return
	}
	if r.ContentLength > rc.o.MaxBody {
		rc.reject(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "Body exceeds the size limit.")
		return
	}
	body, err := readBody(w, r, rc.o.MaxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			rc.reject(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "Body exceeds the size limit.")
			return
		}
		rc.reject(w, r, http.StatusBadRequest, "read_error", "Could not read the body.")
		return
	}

	hd, err := stripesig.ParseHeader(r.Header.Get("Stripe-Signature"))
	if err != nil {
		rc.reject(w, r, http.StatusBadRequest, reason(err), "Invalid Stripe-Signature header.")
		return
	}
	now := rc.o.Now()
	if err := stripesig.Verify(body, hd, rc.o.Secrets(endpoint, now), now, rc.o.Tolerance); err != nil {
		rc.reject(w, r, http.StatusBadRequest, reason(err), "Signature verification failed.")
		return
	}
	env, err := DecodeEnvelope(body)
	if err != nil {
		rc.reject(w, r, http.StatusBadRequest, "bad_envelope", "Body is not a Stripe event.")
		return
	}
	if env.Livemode != rc.o.Livemode {
		rc.reject(w, r, http.StatusBadRequest, "livemode_mismatch", "Event livemode differs from the key's mode.")
		return
	}

	stored := endpoint
	if stored == "" {
		stored = DefaultEndpoint
	}
	ev := env.Event(stored, body, now.UTC(), rc.o.APIVersion)
	// The domain's checks (printable, bounded strings) run here, not only
	// in the store, so that a bad event is a 400 on every store and never
	// reaches a group commit that other events share.
	if err := ev.Validate(); err != nil {
		rc.reject(w, r, http.StatusBadRequest, "bad_envelope", "Body is not a Stripe event.")
		return
	}
	created, err := rc.o.Submit(r.Context(), ev)
	switch {
	case errors.Is(err, ErrQueueFull):
		w.Header().Set("Retry-After", "1")
		rc.reject(w, r, http.StatusServiceUnavailable, "queue_full", "Too many events in flight; retry later.")
		return
	case err != nil:
		rc.o.Logger.ErrorContext(r.Context(), "storing webhook event", "event", ev.ID, "err", err)
		rc.reject(w, r, http.StatusServiceUnavailable, "store_error", "Could not store the event; retry later.")
		return
	}

	m.accepted.Inc()
	switch {
	case !created:
		m.duplicates.Inc()
	case ev.Status == paywarden.EventQuarantined:
		m.quarantined.Inc()
		rc.o.Logger.WarnContext(r.Context(), "webhook event quarantined: API version differs from the pinned one",
			"event", ev.ID, "type", ev.Type, "api_version", ev.APIVersion, "pinned", rc.o.APIVersion)
	}
	m.ackSeconds.Observe(time.Since(start).Seconds())
	w.Header().Set("Content-Type", "application/json")
	if created {
		io.WriteString(w, `{"received":true}`)
	} else {
		io.WriteString(w, `{"received":true,"duplicate":true}`)
	}
}

// readBody reads the body, at most max bytes, into one allocation when the
// request says its length.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, max)
	if r.ContentLength <= 0 {
		return io.ReadAll(body)
	}
	buf := bytes.NewBuffer(make([]byte, 0, r.ContentLength+1))
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

func (rc *Receiver) reject(w http.ResponseWriter, r *http.Request, status int, reason, detail string) {
	rc.o.Metrics.rejected.WithLabelValues(reason).Inc()
	rc.o.Logger.InfoContext(r.Context(), "webhook refused", "reason", reason, "status", status)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	io.WriteString(w, `{"type":"`+problemType(status)+`","title":"`+http.StatusText(status)+`","status":`+
		strconv.Itoa(status)+`,"detail":"`+detail+`"}`)
}

func problemType(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return paywarden.ETOOLARGE
	case http.StatusServiceUnavailable:
		return paywarden.EUNAVAILABLE
	case http.StatusNotFound:
		return paywarden.ENOTFOUND
	}
	return paywarden.EINVALID
}

// reason maps a verification error to its counter label.
func reason(err error) string {
	switch {
	case errors.Is(err, stripesig.ErrNoHeader):
		return "no_header"
	case errors.Is(err, stripesig.ErrNoV1):
		return "no_v1"
	case errors.Is(err, stripesig.ErrNoSecret):
		return "no_secret"
	case errors.Is(err, stripesig.ErrBadSignature):
		return "bad_signature"
	case errors.Is(err, stripesig.ErrTooOld):
		return "timestamp_too_old"
	case errors.Is(err, stripesig.ErrInFuture):
		return "timestamp_in_future"
	}
	return "bad_header"
}
