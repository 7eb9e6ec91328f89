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

func TestSnapshotsTiesAndLateMoneyEvents(t *testing.T) {
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
	charge := func() *paywarden.MirrorObject {
		t.Helper()
		ch, err := db.Object(context.Background(), "charge", "ch_A")
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}

	// A money-moving object is always read from Stripe, even its first
	// event: another worker may hold a same-second event (batch.go).
	insert(t, db, chargeEvent("evt_ch1", t0, 500))
	drain(t, p)
	if ch := charge(); ch.Amount != 700 || !ch.Fetched || f.calls.Load() != 1 {
		t.Errorf("first charge event: got amount %d fetched %t after %d fetches, want Stripe's 700 after 1 fetch",
			ch.Amount, ch.Fetched, f.calls.Load())
	}
	// A money-moving event older than the stored state: Stripe is asked,
	// and its state replaces the stored one.
	insert(t, db, chargeEvent("evt_ch0", t0.Add(-time.Minute), 300))
	drain(t, p)
	if ch := charge(); ch.Amount != 700 || !ch.Fetched || !ch.Version.Equal(t0) || f.calls.Load() != 2 {
		t.Errorf("late charge event: got amount %d fetched %t version %v after %d fetches, want Stripe's 700 at %v after 2",
			ch.Amount, ch.Fetched, ch.Version, f.calls.Load(), t0)
	}
	// Three events of the charge in one batch, two of them in the newest
	// second: one fetch for all three.
	later := t0.Add(time.Minute)
	insert(t, db, chargeEvent("evt_ch2", t0.Add(time.Second), 800), chargeEvent("evt_ch3", later, 900), chargeEvent("evt_ch4", later, 950))
	drain(t, p)
	if ch := charge(); ch.Amount != 700 || !ch.Fetched || !ch.Version.Equal(later) || f.calls.Load() != 3 {
		t.Errorf("tie in a batch: got amount %d fetched %t version %v after %d fetches, want Stripe's 700 at %v after 3",
			ch.Amount, ch.Fetched, ch.Version, f.calls.Load(), later)
	}

	// Two customer events in the same second, in two batches: the second is
	// a tie with the stored state, which the payloads cannot order, so
	// Stripe is asked.
	insert(t, db, customerEvent("evt_c1", t0, "one@example.com"))
	drain(t, p)
	before := f.calls.Load()
	if got := email(t, db); got != "one@example.com" || before != 3 {
		t.Errorf("first customer event: got %q after %d fetches, want one@example.com (no fetch for a first write)", got, before)
	}
	insert(t, db, customerEvent("evt_c2", t0, "two@example.com"))
	drain(t, p)
	if f.calls.Load() != before+1 {
		t.Errorf("fetches for the tie: got %d, want 1", f.calls.Load()-before)
	}
	if got := email(t, db); got != "stripe@example.com" {
		t.Errorf("after a tie: got %q, want Stripe's stripe@example.com", got)
	}
	// Customer events in distinct seconds in one batch: the newest
	// snapshot, no fetch, and every event processed.
	insert(t, db, customerEvent("evt_c3", t0.Add(time.Second), "three@example.com"),
		customerEvent("evt_c5", t0.Add(3*time.Second), "five@example.com"),
		customerEvent("evt_c4", t0.Add(2*time.Second), "four@example.com"))
	drain(t, p)
	if got := email(t, db); got != "five@example.com" || f.calls.Load() != before+1 {
		t.Errorf("batch of customer events: got %q after %d more fetches, want five@example.com and none", got, f.calls.Load()-before-1)
	}
	counts, err := db.CountEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[paywarden.EventProcessed] != 10 {
		t.Errorf("processed events: got %v, want all 10 processed", counts)
	}
}

func TestRefetch(t *testing.T) {
	n := chargeEvent("evt_n", t0, 1)
	stored := func(v time.Time, id string) *paywarden.MirrorObject {
		return &paywarden.MirrorObject{Type: "charge", ID: "ch_A", Version: v, EventID: id}
	}
	cust := customerEvent("evt_c", t0, "x")
	for _, tt := range []struct {
		name    string
		e       *paywarden.Event
		tie     bool
		cur     *paywarden.MirrorObject
		fetch   bool
		version time.Time
	}{
		{"first state of a money object", n, false, nil, true, t0},
		{"money object newer than stored", n, false, stored(t0.Add(-time.Second), "evt_o"), true, t0},
		{"first state of a customer", cust, false, nil, false, t0},
		{"customer newer than stored", cust, false, stored(t0.Add(-time.Second), "evt_o"), false, t0},
		{"customer tie with stored", cust, false, stored(t0, "evt_o"), true, t0},
		{"tie in the batch", n, true, nil, true, t0},
		{"tie with stored", n, false, stored(t0, "evt_o"), true, t0},
		{"replay of the stored event", n, false, stored(t0, "evt_n"), false, t0},
		{"late money event", n, false, stored(t0.Add(time.Minute), "evt_o"), true, t0.Add(time.Minute)},
		{"late customer event", cust, false, stored(t0.Add(time.Minute), "evt_o"), false, t0},
	} {
		fetch, version := refetch(tt.e, tt.tie, tt.cur)
		if fetch != tt.fetch || !version.Equal(tt.version) {
			t.Errorf("%s: got fetch %t version %v, want %t %v", tt.name, fetch, version, tt.fetch, tt.version)
		}
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
