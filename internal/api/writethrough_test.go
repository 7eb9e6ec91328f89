package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
)

// Every change made through the API is in the mirror when the answer
// arrives: a payment created is listed by GET /v1/payments at once, on
// both stores, through the real handlers against stripe-mock.
func TestWriteThrough(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) *harness{"sqlite": mockHarness, "postgres": pgMockHarness} {
		t.Run(name, func(t *testing.T) {
			h := mk(t)
			testWriteThrough(t, h)
		})
	}
}

func testWriteThrough(t *testing.T, h *harness) {
	ctx := context.Background()
	tok := h.token(paywarden.ScopePaymentsRead, paywarden.ScopePaymentsWrite,
		paywarden.ScopeSubscriptionsRead, paywarden.ScopeSubscriptionsWrite)
	start := time.Now()

	r := h.do("POST", "/v1/payments", tok, "wt-1", `{"amount":2000,"currency":"usd"}`)
	if r.status != 201 {
		t.Fatalf("POST /v1/payments: got %d: %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	l := h.do("GET", "/v1/payments", tok, "", "")
	if l.status != 200 || !strings.Contains(string(l.body), `"id":"`+id+`"`) {
		t.Fatalf("GET /v1/payments after creating %s: got %d %s, want it listed", id, l.status, l.body)
	}

	// Each change leaves Stripe's answer in the mirror, dated the second
	// before the request and fetched.
	changes := []struct {
		method, path, body string
		typ                string
	}{
		{"POST", "/v1/payments/pi_123/capture", `{}`, paywarden.ObjectPaymentIntent},
		{"POST", "/v1/payments/pi_124/cancel", `{}`, paywarden.ObjectPaymentIntent},
		{"POST", "/v1/payments/pi_125/refunds", `{"amount":100}`, paywarden.ObjectRefund},
		{"POST", "/v1/customers", `{"email":"a@example.com"}`, paywarden.ObjectCustomer},
		{"POST", "/v1/subscriptions", `{"customer":"cus_1","price":"price_1"}`, paywarden.ObjectSubscription},
		{"POST", "/v1/subscriptions/sub_2", `{"quantity":2}`, paywarden.ObjectSubscription},
		{"DELETE", "/v1/subscriptions/sub_3", `{"at_period_end":true}`, paywarden.ObjectSubscription},
		{"DELETE", "/v1/subscriptions/sub_4", ``, paywarden.ObjectSubscription},
	}
	var latest time.Time
	for i, c := range changes {
		r := h.do(c.method, c.path, tok, "wt-change-"+string(rune('a'+i)), c.body)
		if r.status != 200 && r.status != 201 {
			t.Errorf("%s %s: got %d: %s", c.method, c.path, r.status, r.body)
			continue
		}
		latest = time.Now()
		id, _ := r.json(t)["id"].(string)
		o, err := h.store.Object(ctx, c.typ, id)
		if err != nil {
			t.Errorf("%s %s: %s %q not in the mirror: %v", c.method, c.path, c.typ, id, err)
			continue
		}
		if !o.Fetched || o.EventID != "" || o.Version.Before(start.Truncate(time.Second).Add(-time.Second)) ||
			o.Version.After(latest.Add(-time.Second)) {
			t.Errorf("%s %s: got fetched=%t event=%q version %v, want fetched, no event, the second before the request",
				c.method, c.path, o.Fetched, o.EventID, o.Version)
		}
	}

	// The ordering guard treats the write-through as sync's listing: an
	// event created before it does not overwrite it, a later one does.
	o, err := h.store.Object(ctx, paywarden.ObjectPaymentIntent, id)
	if err != nil {
		t.Fatal(err)
	}
	older, newer := *o, *o
	older.Status, older.Version, older.Fetched, older.EventID = "canceled", o.Version.Add(-time.Second), false, "evt_old"
	newer.Status, newer.Version, newer.Fetched, newer.EventID = "succeeded", o.Version.Add(time.Second), false, "evt_new"
	written, err := h.store.UpsertObjects(ctx, []*paywarden.MirrorObject{&older})
	if err != nil || written[0] {
		t.Errorf("an older event's state: written=%v err=%v, want not written", written, err)
	}
	written, err = h.store.UpsertObjects(ctx, []*paywarden.MirrorObject{&newer})
	if err != nil || !written[0] {
		t.Errorf("a later event's state: written=%v err=%v, want written", written, err)
	}
	if got := counterValue(t, h, "paywarden_api_mirror_write_failures_total"); got != 0 {
		t.Errorf("mirror write failures: got %v, want 0", got)
	}
}

// failingMirror is a store whose mirror writes fail, as a full disk or a
// lost database connection would make them.
type failingMirror struct{ paywarden.Store }

func (failingMirror) UpsertObjects(context.Context, []*paywarden.MirrorObject) ([]bool, error) {
	return nil, errors.New("disk I/O error")
}

// A mirror write that fails after Stripe acted does not turn the success
// into an error: the caller gets Stripe's answer, the failure is logged and
// counted, and the mirror is left to the webhook.
func TestWriteThroughFailureKeepsTheAnswer(t *testing.T) {
	if mockURL == "" {
		t.Skipf("stripe-mock could not be started: %v", mockErr)
	}
	h := &harness{t: t, log: &syncBuffer{}, base: mockURL, now: time.Now,
		path: t.TempDir() + "/paywarden.db",
		wrap: func(s paywarden.Store) api.Store { return failingMirror{s} }}
	h.start()
	t.Cleanup(h.stop)
	tok := h.token(paywarden.ScopePaymentsWrite, paywarden.ScopePaymentsRead)

	r := h.do("POST", "/v1/payments", tok, "wt-fail", `{"amount":2000,"currency":"usd"}`)
	if r.status != 201 {
		t.Fatalf("got %d, want 201 with Stripe's answer: %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	if !strings.HasPrefix(id, "pi_") {
		t.Errorf("got id %q, want Stripe's payment", id)
	}
	if got := counterValue(t, h, "paywarden_api_mirror_write_failures_total"); got != 1 {
		t.Errorf("mirror write failures: got %v, want 1", got)
	}
	if logs := h.log.String(); !strings.Contains(logs, "writing Stripe's answer to the mirror failed") || !strings.Contains(logs, id) {
		t.Errorf("no log line names the failed write of %s:\n%s", id, logs)
	}
	// The same key replays the stored success.
	again := h.do("POST", "/v1/payments", tok, "wt-fail", `{"amount":2000,"currency":"usd"}`)
	if again.status != 201 || string(again.body) != string(r.body) {
		t.Errorf("replay: got %d %s, want the first answer", again.status, again.body)
	}
}

// counterValue returns the value of the API's counter of the given name.
func counterValue(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
