package webhook

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/stripe/stripe-go/v85"
)

// lister stands in for Stripe's Events API, which holds state stripe-mock
// does not: it lists the events it was given.
type lister struct{ events [][]byte }

func (l *lister) ListEvents(_ context.Context, since time.Time, fn func([]byte) error) error {
	for _, e := range l.events {
		env, err := DecodeEnvelope(e)
		if err == nil && env.Created.Before(since) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func TestReconcileStoresOnlyMissingEvents(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pw.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	delivered := eventJSON("evt_delivered", "customer.updated", t0.Add(-time.Hour), false, stripe.APIVersion)
	env, _ := DecodeEnvelope(delivered)
	if _, err := db.InsertEvents(ctx, []*paywarden.Event{env.Event(DefaultEndpoint, delivered, t0, stripe.APIVersion)}); err != nil {
		t.Fatal(err)
	}
	l := &lister{events: [][]byte{
		delivered,
		eventJSON("evt_missed", "customer.updated", t0.Add(-2*time.Hour), false, stripe.APIVersion),
		eventJSON("evt_oldver", "customer.updated", t0.Add(-3*time.Hour), false, "2020-08-27"),
		eventJSON("evt_live", "customer.updated", t0.Add(-3*time.Hour), true, stripe.APIVersion),
		eventJSON("evt_before", "customer.updated", t0.Add(-48*time.Hour), false, stripe.APIVersion),
		[]byte(`{"id":"not an event"}`),
	}}
	res, err := Reconcile(ctx, l, db, t0.Add(-24*time.Hour), t0, stripe.APIVersion, false)
	if err != nil {
		t.Fatal(err)
	}
	want := ReconcileResult{Listed: 5, Created: 2, Quarantined: 1, Skipped: 2}
	if res != want {
		t.Errorf("got %+v, want %+v", res, want)
	}
	missed, err := db.Event(ctx, "evt_missed")
	if err != nil {
		t.Fatal(err)
	}
	if missed.Status != paywarden.EventPending || missed.Endpoint != ReconcileEndpoint {
		t.Errorf("evt_missed: got %s at %s, want pending at %s", missed.Status, missed.Endpoint, ReconcileEndpoint)
	}
	if _, err := db.Event(ctx, "evt_live"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("an event of the other mode was stored: %v", err)
	}

	// Again: nothing new.
	res, err = Reconcile(ctx, l, db, t0.Add(-24*time.Hour), t0, stripe.APIVersion, false)
	if err != nil || res.Created != 0 {
		t.Errorf("second run: got %+v, %v; want nothing created", res, err)
	}
	if res, _ := Reconcile(ctx, l, db, t0.Add(-28*24*time.Hour), t0, stripe.APIVersion, false); !res.NearRetention {
		t.Error("a 28-day gap did not warn of Stripe's retention")
	}
}
