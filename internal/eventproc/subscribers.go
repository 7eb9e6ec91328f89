package eventproc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripesig"
)

// SignatureHeader carries the signature of a delivery to a subscriber. Its
// value has the form of Stripe-Signature and is made with the subscriber's
// secret in Stripe's scheme, so any Stripe SDK verifies it.
const SignatureHeader = "Paywarden-Signature"

// Deliverer returns a Handler that posts each event's payload, signed, to
// every subscriber that wants its type. A subscriber that does not answer
// 2xx fails the event, which is retried with backoff: delivery is at least
// once, so subscribers must absorb duplicates by event id, as they would
// Stripe's own. Quarantined events are never delivered (they are not
// processed until replayed).
func Deliverer(subs []paywarden.Subscriber, client *http.Client, reg prometheus.Registerer, now func() time.Time) Handler {
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paywarden_subscriber_deliveries_total", Help: "Event deliveries to subscribers, by subscriber and result."},
		[]string{"subscriber", "result"})
	if reg != nil {
		reg.MustRegister(deliveries)
	}
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, e *paywarden.Event) error {
		for _, s := range subs {
			if !s.Wants(e.Type) {
				continue
			}
			if err := deliver(ctx, client, s, e, now()); err != nil {
				deliveries.WithLabelValues(s.Name, "failed").Inc()
				return err
			}
			deliveries.WithLabelValues(s.Name, "delivered").Inc()
		}
		return nil
	}
}

func deliver(ctx context.Context, client *http.Client, s paywarden.Subscriber, e *paywarden.Event, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(e.Payload))
	if err != nil {
		return fmt.Errorf("subscriber %s: %w", s.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paywarden")
	req.Header.Set(SignatureHeader, stripesig.Sign(e.Payload, s.Secret, now))
	resp, err := client.Do(req)
	if err != nil {
		// The URL is the subscriber's, not a secret; the error says which
		// connection failed.
		return fmt.Errorf("subscriber %s: %w", s.Name, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("subscriber %s answered %d", s.Name, resp.StatusCode)
	}
	return nil
}
