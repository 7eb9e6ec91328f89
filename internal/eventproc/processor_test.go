package eventproc

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// clock is a test clock shared by the store and the processor.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t *testing.T, c *clock) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pw.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetNow(c.Now)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func customerEvent(id string, created time.Time, email string) *paywarden.Event {
	payload := fmt.Appendf(nil, `{"id":%q,"object":"event","type":"customer.updated","created":%d,"livemode":false,`+
		`"data":{"object":{"id":"cus_A","object":"customer","created":1700000000,"email":%q,"livemode":false}}}`,
		id, created.Unix(), email)
	return &paywarden.Event{ID: id, Type: "customer.updated", Created: created, ObjectID: "cus_A", ObjectType: "customer",
		Endpoint: "default", Payload: payload, Status: paywarden.EventPending, ReceivedAt: t0, NextAttemptAt: t0}
}

func chargeEvent(id string, created time.Time, amount int64) *paywarden.Event {
	payload := fmt.Appendf(nil, `{"id":%q,"object":"event","type":"charge.succeeded","created":%d,"livemode":false,`+
		`"data":{"object":{"id":"ch_A","object":"charge","created":1700000000,"amount":%d,"currency":"USD","status":"succeeded","customer":{"id":"cus_A"}}}}`,
		id, created.Unix(), amount)
	return &paywarden.Event{ID: id, Type: "charge.succeeded", Created: created, ObjectID: "ch_A", ObjectType: "charge",
		Endpoint: "default", Payload: payload, Status: paywarden.EventPending, ReceivedAt: t0, NextAttemptAt: t0}
}

func insert(t *testing.T, db *sqlite.DB, events ...*paywarden.Event) {
	t.Helper()
	if _, err := db.InsertEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
}

func drain(t *testing.T, p *Processor) {
	t.Helper()
	for {
		n, err := p.ProcessBatch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func email(t *testing.T, db *sqlite.DB) string {
	t.Helper()
	o, err := db.Object(context.Background(), "customer", "cus_A")
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Email string }
	if err := json.Unmarshal(o.Data, &want); err != nil {
		t.Fatal(err)
	}
	return want.Email
}

func TestOlderEventNeverOverwritesNewerState(t *testing.T) {
	c := &clock{now: t0}
	db := openStore(t, c)
	p := New(Options{Store: db, Owner: "w1", Now: c.Now})

	insert(t, db, customerEvent("evt_new", t0.Add(-time.Minute), "new@example.com"))
	drain(t, p)
	insert(t, db, customerEvent("evt_old", t0.Add(-time.Hour), "old@example.com"))
	drain(t, p)

	if got := email(t, db); got != "new@example.com" {
		t.Errorf("email: got %q, want the newer event's new@example.com", got)
	}
	for _, id := range []string{"evt_new", "evt_old"} {
		e, err := db.Event(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != paywarden.EventProcessed {
			t.Errorf("%s: got status %q, want processed", id, e.Status)
		}
	}
}

// fetcher stands in for Stripe's API, which holds state that stripe-mock
// does not: it answers with the object's current state and counts calls.
type fetcher struct {
	calls atomic.Int32
	data  func(typ, id string) ([]byte, error)
}

func (f *fetcher) Fetch(_ context.Context, typ, id string) ([]byte, error) {
	f.calls.Add(1)
	return f.data(typ, id)
}

func TestMoneyMovingObjectsAndTiesAreRefetched(t *testing.T) {
	c := &clock{now: t0}
	db := openStore(t, c)
	f := &fetcher{data: func(typ, id string) ([]byte, error) {
		switch typ {
		case "charge":
			return []byte(`{"id":"ch_A","object":"charge","created":1700000000,"amount":700,"currency":"usd","status":"succeeded"}`), nil
		case "customer":
			return []byte(`{"id":"cus_A","object":"customer","created":1700000000,"email":"stripe@example.com"}`), nil
		}
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "no such object")
	}}
	p := New(Options{Store: db, Fetcher: f, Owner: "w1", Now: c.Now})

	insert(t, db, chargeEvent("evt_ch", t0, 500))
	drain(t, p)
	ch, err := db.Object(context.Background(), "charge", "ch_A")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Amount != 700 || !ch.Fetched {
		t.Errorf("charge: got amount %d fetched %t, want Stripe's 700, fetched", ch.Amount, ch.Fetched)
	}

	// Two customer events in the same second: the second is a tie, which the
	// payloads cannot order, so Stripe is asked.
	insert(t, db, customerEvent("evt_c1", t0, "one@example.com"))
	drain(t, p)
	before := f.calls.Load()
	if got := email(t, db); got != "one@example.com" {
		t.Errorf("first customer event: got %q, want one@example.com (no fetch for a first write)", got)
	}
	insert(t, db, customerEvent("evt_c2", t0, "two@example.com"))
	drain(t, p)
	if f.calls.Load() != before+1 {
		t.Errorf("fetches for the tie: got %d, want 1", f.calls.Load()-before)
	}
	if got := email(t, db); got != "stripe@example.com" {
		t.Errorf("after a tie: got %q, want Stripe's stripe@example.com", got)
	}
}

func TestFailuresBackOffThenDie(t *testing.T) {
	c := &clock{now: t0}
	db := openStore(t, c)
	p := New(Options{Store: db, Owner: "w1", Now: c.Now, MaxAttempts: 3, BaseBackoff: time.Second, MaxBackoff: time.Minute})
	var runs atomic.Int32
	p.Handle("customer.updated", func(ctx context.Context, e *paywarden.Event) error {
		runs.Add(1)
		return fmt.Errorf("downstream unavailable")
	})
	insert(t, db, customerEvent("evt_f", t0, "x@example.com"))

	ctx := context.Background()
	for attempt := 1; attempt <= 3; attempt++ {
		drain(t, p)
		e, err := db.Event(ctx, "evt_f")
		if err != nil {
			t.Fatal(err)
		}
		want := paywarden.EventFailed
		if attempt == 3 {
			want = paywarden.EventDead
		}
		if e.Status != want || e.Attempts != attempt {
			t.Fatalf("after attempt %d: got %s with %d attempts, want %s with %d", attempt, e.Status, e.Attempts, want, attempt)
		}
		if e.LastError == "" {
			t.Errorf("after attempt %d: no last error recorded", attempt)
		}
		// Not due again before its backoff has passed.
		drain(t, p)
		if got := runs.Load(); got != int32(attempt) {
			t.Fatalf("handler ran %d times before the backoff passed, want %d", got, attempt)
		}
		c.Add(time.Minute)
	}
	drain(t, p)
	if got := runs.Load(); got != 3 {
		t.Errorf("a dead event ran again: %d runs, want 3", got)
	}
	if _, err := db.Object(ctx, "customer", "cus_A"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("a failed event's mirror write was kept: got %v, want not_found", err)
	}

	if err := db.ReplayEvent(ctx, "evt_f"); err != nil {
		t.Fatal(err)
	}
	p2 := New(Options{Store: db, Owner: "w1", Now: c.Now})
	drain(t, p2)
	if e, _ := db.Event(ctx, "evt_f"); e.Status != paywarden.EventProcessed {
		t.Errorf("after replay: got %s, want processed", e.Status)
	}
}

func TestBackoffIsCappedAndGrows(t *testing.T) {
	p := New(Options{Store: nil, BaseBackoff: time.Second, MaxBackoff: time.Minute})
	prev := time.Duration(0)
	for n := 1; n <= 40; n++ {
		d := p.backoff(n)
		if d <= 0 || d > time.Minute {
			t.Fatalf("backoff(%d) = %v, want in (0, 1m]", n, d)
		}
		if n <= 5 && d <= prev*8/10 {
			t.Errorf("backoff(%d) = %v did not grow from %v", n, d, prev)
		}
		prev = d
	}
}
