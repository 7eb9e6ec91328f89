package stripeapi

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripeapi/stripemock"
)

// mockURL is the base URL of the stripe-mock that TestMain started, or ""
// when it could not be started (mockErr says why).
var (
	mockURL string
	mockErr error
)

func TestMain(m *testing.M) {
	os.Exit(stripemock.RunTests(m, func(url string, err error) { mockURL, mockErr = url, err }))
}

// testKey makes a Stripe test key at run time, so that no key-shaped
// literal sits in the source.
func testKey(kind, fill string) paywarden.Secret {
	return paywarden.NewSecret(kind + "_" + "test_" + strings.Repeat(fill, 24))
}

func mockClient(t *testing.T) *Client {
	t.Helper()
	if mockURL == "" {
		t.Skipf("stripe-mock could not be started: %v", mockErr)
	}
	c, err := New(Config{
		Keys:      map[string]paywarden.Secret{paywarden.CapabilityDefault: testKey("sk", "m")},
		APIBase:   mockURL,
		RateLimit: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStripeMock checks every call's request shape against stripe-mock,
// which validates parameters against Stripe's OpenAPI specification.
func TestStripeMock(t *testing.T) {
	c := mockClient(t)
	ctx := context.Background()

	pi, _, err := c.CreatePaymentIntent(ctx, "k1", paywarden.PaymentParams{
		Amount: 2000, Currency: "usd", Customer: "cus_123", Description: "order 7",
		Metadata: map[string]string{"order": "7"}, CaptureMethod: "manual", PaymentMethod: "pm_card_visa", Confirm: true,
	})
	if err != nil {
		t.Fatalf("CreatePaymentIntent: %v", err)
	}
	if !strings.HasPrefix(pi.ID, "pi_") || pi.Object != "payment" || pi.Currency == "" {
		t.Errorf("CreatePaymentIntent: got %+v", pi)
	}
	if _, err := c.GetPaymentIntent(ctx, "pi_123"); err != nil {
		t.Errorf("GetPaymentIntent: %v", err)
	}
	if _, _, err := c.CapturePaymentIntent(ctx, "k2", "pi_123", 1000); err != nil {
		t.Errorf("CapturePaymentIntent: %v", err)
	}
	if _, _, err := c.CancelPaymentIntent(ctx, "k3", "pi_123"); err != nil {
		t.Errorf("CancelPaymentIntent: %v", err)
	}
	if r, _, err := c.CreateRefund(ctx, "k4", paywarden.RefundParams{PaymentIntent: "pi_123", Amount: 500, Reason: "requested_by_customer"}); err != nil {
		t.Errorf("CreateRefund: %v", err)
	} else if !strings.HasPrefix(r.ID, "re_") {
		t.Errorf("CreateRefund: got id %q, want re_...", r.ID)
	}
	if cu, _, err := c.CreateCustomer(ctx, "k5", paywarden.CustomerParams{Email: "a@example.com", Name: "A", Metadata: map[string]string{"x": "y"}}); err != nil {
		t.Errorf("CreateCustomer: %v", err)
	} else if !strings.HasPrefix(cu.ID, "cus_") {
		t.Errorf("CreateCustomer: got id %q", cu.ID)
	}
	if _, err := c.GetCustomer(ctx, "cus_123"); err != nil {
		t.Errorf("GetCustomer: %v", err)
	}
	if s, _, err := c.CreateSubscription(ctx, "k6", paywarden.SubscriptionParams{Customer: "cus_123", Price: "price_123", Quantity: 2, TrialPeriodDays: 14}); err != nil {
		t.Errorf("CreateSubscription: %v", err)
	} else if !strings.HasPrefix(s.ID, "sub_") {
		t.Errorf("CreateSubscription: got id %q", s.ID)
	}
	if _, err := c.GetSubscription(ctx, "sub_123"); err != nil {
		t.Errorf("GetSubscription: %v", err)
	}
	if l, err := c.ListSubscriptions(ctx, paywarden.SubscriptionListParams{Customer: "cus_123", Status: "active", Limit: 3, StartingAfter: "sub_1"}); err != nil {
		t.Errorf("ListSubscriptions: %v", err)
	} else if l.Object != "list" {
		t.Errorf("ListSubscriptions: got object %q, want list", l.Object)
	}
	if _, _, err := c.UpdateSubscription(ctx, "k7", "sub_123", paywarden.SubscriptionUpdate{Price: "price_456", Quantity: 3, ProrationBehavior: "none"}); err != nil {
		t.Errorf("UpdateSubscription: %v", err)
	}
	if _, _, err := c.CancelSubscription(ctx, "k8", "sub_123", false); err != nil {
		t.Errorf("CancelSubscription: %v", err)
	}
	if _, _, err := c.CancelSubscription(ctx, "k9", "sub_123", true); err != nil {
		t.Errorf("CancelSubscription at period end: %v", err)
	}
	if err := c.Verify(ctx, testKey("rk", "v")); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for _, typ := range paywarden.MirroredTypes {
		data, err := c.Fetch(ctx, typ, "x_123")
		if err != nil {
			t.Errorf("Fetch(%s): %v", typ, err)
			continue
		}
		// What stripe-mock answers, in the shape of the pinned version, is
		// what the mirror records: the extraction reads it.
		m, err := paywarden.ParseMirrorObject(data)
		if err != nil || m.Type != typ || m.ID == "" || m.Created.IsZero() {
			t.Errorf("Fetch(%s): got record %+v (%v), want a %s with an id and a created time", typ, m, err, typ)
		}
	}
	if _, err := c.Fetch(ctx, "account", "acct_1"); paywarden.ErrorCode(err) != paywarden.EINVALID {
		t.Errorf("Fetch(account): got %v, want %s", err, paywarden.EINVALID)
	}
}

// Every call that changes an object returns the record of Stripe's answer
// for the mirror: the same object, fetched, dated the second before the
// request, and for a subscription without the first invoice's
// confirmation secret that the answer carried expanded.
func TestChangesReturnMirrorRecords(t *testing.T) {
	c := mockClient(t)
	ctx := context.Background()
	start := time.Now()
	type result struct {
		id, typ string
		rec     *paywarden.MirrorObject
		err     error
	}
	var results []result
	add := func(id, typ string, rec *paywarden.MirrorObject, err error) {
		results = append(results, result{id, typ, rec, err})
	}
	if p, rec, err := c.CreatePaymentIntent(ctx, "k1", paywarden.PaymentParams{Amount: 2000, Currency: "usd"}); err == nil {
		add(p.ID, paywarden.ObjectPaymentIntent, rec, nil)
	} else {
		add("", "", nil, err)
	}
	p, rec, err := c.CapturePaymentIntent(ctx, "k2", "pi_123", 0)
	add(idOr(p, func(p *paywarden.Payment) string { return p.ID }), paywarden.ObjectPaymentIntent, rec, err)
	p, rec, err = c.CancelPaymentIntent(ctx, "k3", "pi_123")
	add(idOr(p, func(p *paywarden.Payment) string { return p.ID }), paywarden.ObjectPaymentIntent, rec, err)
	r, rec, err := c.CreateRefund(ctx, "k4", paywarden.RefundParams{PaymentIntent: "pi_123"})
	add(idOr(r, func(r *paywarden.Refund) string { return r.ID }), paywarden.ObjectRefund, rec, err)
	cu, rec, err := c.CreateCustomer(ctx, "k5", paywarden.CustomerParams{Email: "a@example.com"})
	add(idOr(cu, func(c *paywarden.Customer) string { return c.ID }), paywarden.ObjectCustomer, rec, err)
	s, rec, err := c.CreateSubscription(ctx, "k6", paywarden.SubscriptionParams{Customer: "cus_123", Price: "price_123"})
	add(idOr(s, func(s *paywarden.Subscription) string { return s.ID }), paywarden.ObjectSubscription, rec, err)
	s, rec, err = c.UpdateSubscription(ctx, "k7", "sub_123", paywarden.SubscriptionUpdate{Quantity: 2})
	add(idOr(s, func(s *paywarden.Subscription) string { return s.ID }), paywarden.ObjectSubscription, rec, err)
	s, rec, err = c.CancelSubscription(ctx, "k8", "sub_123", true)
	add(idOr(s, func(s *paywarden.Subscription) string { return s.ID }), paywarden.ObjectSubscription, rec, err)
	s, rec, err = c.CancelSubscription(ctx, "k9", "sub_123", false)
	add(idOr(s, func(s *paywarden.Subscription) string { return s.ID }), paywarden.ObjectSubscription, rec, err)

	earliest := start.Truncate(time.Second).Add(-time.Second)
	latest := time.Now().Truncate(time.Second).Add(-time.Second)
	for i, res := range results {
		if res.err != nil {
			t.Errorf("call %d: %v", i, res.err)
			continue
		}
		if res.rec == nil {
			t.Errorf("call %d: no record", i)
			continue
		}
		if res.rec.Type != res.typ || res.rec.ID != res.id || !res.rec.Fetched {
			t.Errorf("call %d: got record %s %s fetched=%t, want %s %s fetched", i, res.rec.Type, res.rec.ID, res.rec.Fetched, res.typ, res.id)
		}
		if v := res.rec.Version; v.Before(earliest) || v.After(latest) || !v.Equal(v.Truncate(time.Second)) {
			t.Errorf("call %d: version %v, want a whole second in [%v, %v]", i, v, earliest, latest)
		}
		if res.typ == paywarden.ObjectSubscription {
			var sub struct {
				LatestInvoice json.RawMessage `json:"latest_invoice"`
			}
			if err := json.Unmarshal(res.rec.Data, &sub); err != nil || (len(sub.LatestInvoice) > 0 && sub.LatestInvoice[0] == '{') {
				t.Errorf("call %d: latest_invoice in the mirror is %s, want its id (%v)", i, sub.LatestInvoice, err)
			}
			if strings.Contains(string(res.rec.Data), "confirmation_secret") {
				t.Errorf("call %d: the mirror record holds the invoice's confirmation secret", i)
			}
		}
	}
}

func idOr[T any](v *T, id func(*T) string) string {
	if v == nil {
		return ""
	}
	return id(v)
}
