package main

// Issue 3: the webhook pipeline end to end, through `paywarden serve` run
// in-process on a real SQLite file: every event stored once however often
// and in whatever order it is delivered, across a restart; every event
// processed once; the mirror holding the newest state of each object.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
)

// openSQLite opens the database of a devEnv for checks, closed when t ends.
func openSQLite(t *testing.T, env map[string]string) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(context.Background(), strings.TrimPrefix(env["PAYWARDEN_DATABASE_URL"], "sqlite:"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// allEvents returns every stored event, by id.
func allEvents(t *testing.T, st paywarden.EventStore) map[string]*paywarden.Event {
	t.Helper()
	out := map[string]*paywarden.Event{}
	f := paywarden.EventFilter{Limit: 500}
	for {
		page, err := st.ListEvents(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if out[e.ID] != nil {
				t.Fatalf("ListEvents lists %s twice", e.ID)
			}
			out[e.ID] = e
		}
		if len(page) < f.Limit {
			return out
		}
		f.StartingAfter = page[len(page)-1].ID
	}
}

// waitProcessed waits until n events are processed and none is pending or
// failed: the workers run asynchronously by design.
func waitProcessed(t *testing.T, st paywarden.EventStore, n int) {
	t.Helper()
	eventually(t, 60*time.Second, func() error {
		c, err := st.CountEvents(context.Background())
		if err != nil {
			return err
		}
		if c[paywarden.EventProcessed] != n || c[paywarden.EventPending] != 0 || c[paywarden.EventFailed] != 0 {
			return fmt.Errorf("event counts %v, want %d processed", c, n)
		}
		return nil
	})
}

// delivery is one POST of an event.
type delivery struct {
	ev   event
	body []byte
}

// deliver posts every delivery from workers goroutines, in the order
// given, and returns how many answers for each event id said it was new.
// Every answer must be 200.
func deliver(t *testing.T, url, secret string, ds []delivery, workers int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	created := map[string]int{}
	ch := make(chan delivery)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for d := range ch {
				status, body, err := postEvent(url, secret, d.body)
				if err != nil || status != 200 {
					t.Errorf("delivering %s: %d %s %v", d.ev.ID, status, body, err)
					continue
				}
				n := 0
				if !strings.Contains(body, `"duplicate":true`) {
					n = 1
				}
				mu.Lock()
				created[d.ev.ID] += n // an entry even for duplicates
				mu.Unlock()
			}
		})
	}
	for _, d := range ds {
		ch <- d
	}
	close(ch)
	wg.Wait()
	return created
}

// deliveries returns each event 1 to 5 times, shuffled.
func deliveries(evs []event) []delivery {
	var ds []delivery
	for _, e := range evs {
		b := e.body()
		for range 1 + rand.IntN(5) {
			ds = append(ds, delivery{e, b})
		}
	}
	rand.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	return ds
}

func paymentIntent(id string, amount int64, status string, created int64) map[string]any {
	return map[string]any{"id": id, "object": "payment_intent", "amount": amount, "amount_received": amount,
		"currency": "usd", "status": status, "created": created, "livemode": false, "customer": nil}
}

// noSecrets fails t if any of the texts holds any of the secrets.
func noSecrets(t *testing.T, what string, texts []string, secrets ...string) {
	t.Helper()
	for _, text := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s holds the secret value %s…", what, s[:min(len(s), 10)])
			}
		}
	}
}

func TestWebhookPipelineSQLite(t *testing.T) {
	dir := t.TempDir()
	fs := newFakeStripe(t)
	env := devEnv(dir, fs.URL)
	fs.allowKey(env["STRIPE_SECRET_KEY"])
	secret := env["STRIPE_WEBHOOK_SECRET"]
	base := time.Now().Add(-time.Hour).Unix()

	// 15 customers with 4 versions each, and 8 payment intents whose
	// events carry stale states. For the first 4 both events are in the
	// same second, a tie only Stripe can order, so the state is re-read;
	// for the others the later event's snapshot is the newest state there
	// is (eventproc's refetch), unless the earlier one is processed late.
	var evs []event
	newest := map[string]event{}
	for range 15 {
		id := "cus_" + randAlnum(14)
		for n := 1; n <= 4; n++ {
			e := customerEvent(id, n, base)
			evs = append(evs, e)
			newest[id] = e
		}
	}
	pis := map[string]int64{}
	ties := map[string]bool{}
	for i := range 8 {
		id := "pi_" + randAlnum(24)
		amount := int64(1000 + i)
		pis[id] = amount
		fs.setObject("/v1/payment_intents/"+id, paymentIntent(id, amount, "succeeded", base))
		evs = append(evs,
			event{ID: "evt_" + randAlnum(24), Type: "payment_intent.created", Created: base + 1,
				Object: paymentIntent(id, amount, "requires_payment_method", base)},
			event{ID: "evt_" + randAlnum(24), Type: "payment_intent.processing", Created: base + 1 + int64(i/4),
				Object: paymentIntent(id, amount, "processing", base)})
		if i < 4 {
			ties[id] = true
		}
	}

	s := startServe(t, env)
	created := deliver(t, s.URL, secret, deliveries(evs), 8)
	for _, e := range evs {
		if created[e.ID] != 1 {
			t.Errorf("%s: %d answers said it was new, want exactly 1", e.ID, created[e.ID])
		}
	}
	st := openSQLite(t, env)
	// Processed before the stop: a stop mid-batch strands claimed events
	// for a minute (TestGracefulStopReleasesClaimedEvents).
	waitProcessed(t, st, len(evs))
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d after its context was cancelled; stderr:\n%s", code, s.stderr.String())
	}
	outputs := []string{s.stdout.String(), s.stderr.String()}

	// Restart on the same file: what was stored stays stored, a
	// redelivery changes nothing, and the ordering guard holds.
	s = startServe(t, env)
	var again []delivery
	for _, e := range evs {
		if rand.IntN(3) == 0 {
			again = append(again, delivery{e, e.body()})
		}
	}
	if created := deliver(t, s.URL, secret, again, 4); len(created) != len(again) && len(again) > 0 {
		t.Errorf("redelivery after restart: %v", created)
	} else {
		for id, n := range created {
			if n != 0 {
				t.Errorf("%s delivered again after a restart was stored again", id)
			}
		}
	}
	// For 5 customers a newer version, then an older one than any
	// stored; for 5 others only an older one. The older ones arrive after
	// the newer are applied.
	var newer, older []event
	i := 0
	for id := range newest {
		switch {
		case i < 5:
			e := customerEvent(id, 5, base)
			newer, newest[id] = append(newer, e), e
			older = append(older, customerEvent(id, 0, base))
		case i < 10:
			older = append(older, customerEvent(id, 0, base))
		}
		i++
	}
	for _, batch := range [][]event{newer, older} {
		created := deliver(t, s.URL, secret, deliveries(batch), 4)
		for _, e := range batch {
			if created[e.ID] != 1 {
				t.Errorf("%s: %d answers said it was new, want 1", e.ID, created[e.ID])
			}
		}
		evs = append(evs, batch...)
		waitProcessed(t, st, len(evs))
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d; stderr:\n%s", code, s.stderr.String())
	}
	outputs = append(outputs, s.stdout.String(), s.stderr.String())

	// Each event stored once and processed once.
	stored := allEvents(t, st)
	if len(stored) != len(evs) {
		t.Errorf("%d events stored, want %d", len(stored), len(evs))
	}
	for _, e := range evs {
		got := stored[e.ID]
		switch {
		case got == nil:
			t.Errorf("%s was acknowledged but is not stored", e.ID)
		case got.Status != paywarden.EventProcessed || got.Attempts != 1:
			t.Errorf("%s: status %s after %d attempts, want processed after 1", e.ID, got.Status, got.Attempts)
		case string(got.Payload) != string(e.body()):
			t.Errorf("%s: the stored payload is not the body received", e.ID)
		}
	}

	// The mirror holds each customer's newest state.
	ctx := context.Background()
	for id, e := range newest {
		obj, err := st.Object(ctx, paywarden.ObjectCustomer, id)
		if err != nil {
			t.Errorf("customer %s: %v", id, err)
			continue
		}
		if obj.EventID != e.ID || !obj.Version.Equal(time.Unix(e.Created, 0)) || obj.Fetched {
			t.Errorf("customer %s: mirror from event %s version %s (fetched %v), want event %s version %s from the payload",
				id, obj.EventID, obj.Version, obj.Fetched, e.ID, time.Unix(e.Created, 0))
		}
		var data struct{ Email string }
		json.Unmarshal(obj.Data, &data)
		if want := e.Object["email"]; data.Email != want {
			t.Errorf("customer %s: mirror email %q, want %q", id, data.Email, want)
		}
	}
	// Payment intents move money: each holds Stripe's state, re-read once
	// per batch that held its events (so once or twice), at its newest
	// event's version; the tied ones too.
	for id, amount := range pis {
		obj, err := st.Object(ctx, paywarden.ObjectPaymentIntent, id)
		if err != nil {
			t.Errorf("payment intent %s: %v", id, err)
			continue
		}
		n := fs.getCount("/v1/payment_intents/" + id)
		want := time.Unix(base+2, 0)
		if ties[id] {
			want = time.Unix(base+1, 0)
		}
		if obj.Status != "succeeded" || obj.Amount != amount || !obj.Fetched || n < 1 || n > 2 || !obj.Version.Equal(want) {
			t.Errorf("payment intent %s (tied %v): status %s amount %d fetched %v version %v after %d fetches, want succeeded %d re-read from Stripe once or twice at %v",
				id, ties[id], obj.Status, obj.Amount, obj.Fetched, obj.Version, n, amount, want)
		}
	}
	if n := fs.badCalls.Load(); n != 0 {
		t.Errorf("%d calls to Stripe without the pinned API version %s", n, stripe.APIVersion)
	}
	noSecrets(t, "serve's output", outputs, env["STRIPE_SECRET_KEY"], secret)
}

// The receiver's limits through the real server: an oversize body is 413
// and stores nothing; an event of another API version is stored
// quarantined, answered 200, and never processed; a redelivery of it is a
// duplicate.
func TestWebhookOversizeAndQuarantine(t *testing.T) {
	dir := t.TempDir()
	fs := newFakeStripe(t)
	env := devEnv(dir, fs.URL)
	fs.allowKey(env["STRIPE_SECRET_KEY"])
	secret := env["STRIPE_WEBHOOK_SECRET"]
	s := startServe(t, env)
	st := openSQLite(t, env)
	base := time.Now().Add(-time.Minute).Unix()

	big := customerEvent("cus_"+randAlnum(14), 1, base)
	big.Object["description"] = strings.Repeat("x", 513<<10)
	status, body, err := postEvent(s.URL, secret, big.body())
	if err != nil || status != 413 || !strings.Contains(body, "too_large") && !strings.Contains(body, "413") {
		t.Errorf("a 513 KiB event: %d %s %v, want 413", status, body, err)
	}
	// Without Content-Length too (chunked): the cap is on the bytes read.
	req := big.body()
	status, _, err = postWebhookChunked(s.URL+"/webhooks/stripe", secret, req)
	if err != nil || status != 413 {
		t.Errorf("a 513 KiB chunked event: %d %v, want 413", status, err)
	}

	cus := "cus_" + randAlnum(14)
	q := customerEvent(cus, 1, base)
	q.APIVersion = "2020-08-27"
	for i := range 2 {
		status, body, err := postEvent(s.URL, secret, q.body())
		if err != nil || status != 200 {
			t.Fatalf("delivery %d of an event of another API version: %d %s %v, want 200", i+1, status, body, err)
		}
		if dup := strings.Contains(body, `"duplicate":true`); dup != (i > 0) {
			t.Errorf("delivery %d of a quarantined event: %s", i+1, body)
		}
	}
	got, err := st.Event(context.Background(), q.ID)
	if err != nil || got.Status != paywarden.EventQuarantined || got.APIVersion != "2020-08-27" {
		t.Fatalf("the event of another API version: %+v %v, want it stored quarantined", got, err)
	}

	// A pinned-version event after it is processed; the quarantined one
	// stays quarantined and never reaches the mirror.
	ok := customerEvent("cus_"+randAlnum(14), 1, base)
	if status, body, err := postEvent(s.URL, secret, ok.body()); status != 200 || err != nil {
		t.Fatalf("a pinned-version event: %d %s %v", status, body, err)
	}
	eventually(t, 60*time.Second, func() error {
		e, err := st.Event(context.Background(), ok.ID)
		if err != nil || e.Status != paywarden.EventProcessed {
			return fmt.Errorf("the pinned-version event is %v (%v), want processed", e.Status, err)
		}
		return nil
	})
	c, err := st.CountEvents(context.Background())
	if err != nil || c[paywarden.EventQuarantined] != 1 || c[paywarden.EventProcessed] != 1 || len(allEvents(t, st)) != 2 {
		t.Errorf("event counts %v (%v), want 1 quarantined and 1 processed, nothing of the oversize bodies", c, err)
	}
	if _, err := st.Object(context.Background(), paywarden.ObjectCustomer, cus); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("the quarantined event's customer is in the mirror (%v)", err)
	}
	if !strings.Contains(s.stderr.String(), "quarantined") {
		t.Errorf("no log of the quarantine:\n%s", s.stderr.String())
	}
}
