package eventproc

import (
	"context"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

const pinned = "2026-11-17.test"

// quarantinedEvent is a customer event sent at another API version, stored
// quarantined and then replayed, as `events replay` does.
func quarantinedEvent(t *testing.T, db interface {
	InsertEvents(context.Context, []*paywarden.Event) ([]bool, error)
	ReplayEvent(context.Context, string) error
}, id string, created time.Time, email string) {
	t.Helper()
	e := customerEvent(id, created, email)
	e.APIVersion, e.Status = "2020-08-27", paywarden.EventQuarantined
	if _, err := db.InsertEvents(context.Background(), []*paywarden.Event{e}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplayEvent(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

func status(t *testing.T, db interface {
	Event(context.Context, string) (*paywarden.Event, error)
}, id string) paywarden.EventStatus {
	t.Helper()
	e, err := db.Event(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e.Status
}

// A replayed quarantined event's object is re-read from Stripe at the
// pinned version; its payload, of another version's shape, is not used.
func TestReplayedQuarantinedEventIsReRead(t *testing.T) {
	c := &clock{now: t0}
	db := openStore(t, c)
	f := &fetcher{data: func(typ, id string) ([]byte, error) {
		return []byte(`{"id":"cus_A","object":"customer","created":1700000000,"email":"stripe@example.com"}`), nil
	}}
	p := New(Options{Store: db, Fetcher: f, APIVersion: pinned, Owner: "w1", Now: c.Now})
	quarantinedEvent(t, db, "evt_q", t0, "payload@example.com")
	drain(t, p)
	if got := status(t, db, "evt_q"); got != paywarden.EventProcessed {
		t.Fatalf("got status %s, want processed", got)
	}
	if got := email(t, db); got != "stripe@example.com" {
		t.Errorf("mirror: got %q, want Stripe's stripe@example.com, not the payload's", got)
	}
	if f.calls.Load() != 1 {
		t.Errorf("fetches: got %d, want 1", f.calls.Load())
	}
	o, _ := db.Object(context.Background(), "customer", "cus_A")
	if !o.Fetched || o.EventID != "evt_q" || !o.Version.Equal(t0) {
		t.Errorf("record: got fetched=%t event=%q version=%v, want fetched by evt_q at %v", o.Fetched, o.EventID, o.Version, t0)
	}

	// An event at the pinned version is still read from its payload.
	e := customerEvent("evt_p", t0.Add(time.Minute), "pinned@example.com")
	e.APIVersion = pinned
	insert(t, db, e)
	drain(t, p)
	if got := email(t, db); got != "pinned@example.com" || f.calls.Load() != 1 {
		t.Errorf("pinned event: got %q after %d fetches, want pinned@example.com after 1", got, f.calls.Load())
	}
}

// Without a way to re-read the object, a replayed quarantined event fails
// (and is retried) rather than mirror its payload.
func TestReplayedQuarantinedEventWithoutFetcherFails(t *testing.T) {
	c := &clock{now: t0}
	db := openStore(t, c)
	p := New(Options{Store: db, APIVersion: pinned, Owner: "w1", Now: c.Now})
	quarantinedEvent(t, db, "evt_q", t0, "payload@example.com")
	drain(t, p)
	if got := status(t, db, "evt_q"); got != paywarden.EventFailed {
		t.Errorf("got status %s, want failed", got)
	}
	if _, err := db.Object(context.Background(), "customer", "cus_A"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("the payload reached the mirror: got %v, want not_found", err)
	}

	// Stripe unreachable: the same.
	f := &fetcher{data: func(string, string) ([]byte, error) {
		return nil, paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe is unavailable.")
	}}
	c.Add(time.Hour)
	p = New(Options{Store: db, Fetcher: f, APIVersion: pinned, Owner: "w1", Now: c.Now})
	drain(t, p)
	if got := status(t, db, "evt_q"); got != paywarden.EventFailed || f.calls.Load() != 1 {
		t.Errorf("got status %s after %d fetches, want failed after 1", got, f.calls.Load())
	}
	if _, err := db.Object(context.Background(), "customer", "cus_A"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("the payload reached the mirror: got %v, want not_found", err)
	}
}

// An object Stripe no longer has: a mirrored copy is marked deleted with
// its pinned-version JSON kept; one never mirrored stays out.
func TestReplayedQuarantinedEventOfAGoneObject(t *testing.T) {
	c := &clock{now: t0}
	db := openStore(t, c)
	gone := &fetcher{data: func(string, string) ([]byte, error) {
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "No such customer.")
	}}
	p := New(Options{Store: db, Fetcher: gone, APIVersion: pinned, Owner: "w1", Now: c.Now})
	quarantinedEvent(t, db, "evt_q1", t0, "payload@example.com")
	drain(t, p)
	if got := status(t, db, "evt_q1"); got != paywarden.EventProcessed {
		t.Errorf("got status %s, want processed", got)
	}
	if _, err := db.Object(context.Background(), "customer", "cus_A"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("the payload reached the mirror: got %v, want not_found", err)
	}

	e := customerEvent("evt_p", t0, "kept@example.com")
	e.APIVersion = pinned
	insert(t, db, e)
	drain(t, p)
	quarantinedEvent(t, db, "evt_q2", t0.Add(time.Minute), "payload@example.com")
	drain(t, p)
	o, err := db.Object(context.Background(), "customer", "cus_A")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != "deleted" || email(t, db) != "kept@example.com" || o.EventID != "evt_q2" {
		t.Errorf("got status %q email %q event %q, want deleted, the pinned JSON kept, by evt_q2", o.Status, email(t, db), o.EventID)
	}
}
