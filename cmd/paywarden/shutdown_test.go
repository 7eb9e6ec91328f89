package main

// A graceful stop (SIGTERM) must not strand events: whatever a worker had
// claimed and not finished is handed back, so that the next process (or
// replica) takes it at once and it is processed exactly once.

import (
	"context"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/webhook"
)

func TestGracefulStopReleasesClaimedEvents(t *testing.T) {
	dir := t.TempDir()
	fs := newFakeStripe(t)
	env := devEnv(dir, fs.URL)
	fs.allowKey(env["STRIPE_SECRET_KEY"])

	// Three events are stored before serve starts, so that one worker
	// claims them in one batch. Two are events of a payment intent in the
	// same second, a tie whose re-fetch from Stripe is held until serve is
	// told to stop.
	st := openSQLite(t, env)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Minute).Unix()
	pi := "pi_" + randAlnum(24)
	evs := []event{
		{ID: "evt_" + randAlnum(24), Type: "payment_intent.succeeded", Created: base, Object: paymentIntent(pi, 100, "succeeded", base)},
		{ID: "evt_" + randAlnum(24), Type: "payment_intent.processing", Created: base, Object: paymentIntent(pi, 100, "processing", base)},
		customerEvent("cus_"+randAlnum(14), 2, base),
		customerEvent("cus_"+randAlnum(14), 3, base),
	}
	var stored []*paywarden.Event
	for _, e := range evs {
		env, err := webhook.DecodeEnvelope(e.body())
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, env.Event(webhook.DefaultEndpoint, e.body(), time.Now().UTC(), stripe.APIVersion))
	}
	if _, err := st.InsertEvents(ctx, stored); err != nil {
		t.Fatal(err)
	}

	arrived := fs.hold("/v1/payment_intents/" + pi)

	s := startServe(t, env)
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("the payment intent was never re-fetched")
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d; stderr:\n%s", code, s.stderr.String())
	}

	// Right after the stop, another process can take every unprocessed
	// event: none is left leased to a process that is gone.
	var unprocessed []string
	for _, e := range allEvents(t, st) {
		if e.Status != paywarden.EventProcessed {
			unprocessed = append(unprocessed, e.ID)
		}
	}
	claimed, err := st.ClaimEvents(ctx, "next-process", 32, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != len(unprocessed) {
		t.Errorf("after a graceful stop %d events are unprocessed but only %d can be claimed: "+
			"the stopped process left the others leased (for eventproc's 1m lease), "+
			"so they wait a minute and count an extra attempt", len(unprocessed), len(claimed))
	}
}
