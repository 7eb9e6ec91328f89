package stripeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// TestListCoversMirroredTypes fails when a mirrored type has no list API,
// so that a type added to the domain's one list cannot be left out of sync.
// The paths are derived from the list; TestListShape proves that each one
// exists at Stripe (stripe-mock answers 404 for any other).
func TestListCoversMirroredTypes(t *testing.T) {
	for _, typ := range paywarden.MirroredTypes {
		if !Lists(typ) {
			t.Errorf("mirrored type %q has no list path", typ)
		}
	}
	if Lists("account") {
		t.Error(`Lists("account"): got true for a type paywarden does not mirror`)
	}
}

// TestListShape lists every mirrored type from stripe-mock, which checks
// each request (path, limit, created[gte], starting_after, status) against
// Stripe's OpenAPI specification and answers with objects of the type
// asked for. stripe-mock accepts any expansion, so the expansion's path is
// checked against Stripe's reference by hand: subscription.discounts and
// discount.source.coupon are expandable, four levels counting "data".
func TestListShape(t *testing.T) {
	c := mockClient(t)
	ctx := context.Background()
	for _, typ := range paywarden.MirroredTypes {
		t.Run(typ, func(t *testing.T) {
			page, err := c.ListPage(ctx, typ, ListParams{
				StartingAfter: "x_123", CreatedGTE: time.Now().Add(-24 * time.Hour), Limit: 3,
			})
			if err != nil {
				t.Fatalf("ListPage: %v", err)
			}
			if len(page.Objects) == 0 {
				t.Fatal("stripe-mock listed nothing")
			}
			if page.SentAt.IsZero() {
				t.Error("SentAt is zero")
			}
			for _, raw := range page.Objects {
				var o map[string]json.RawMessage
				if err := json.Unmarshal(raw, &o); err != nil {
					t.Fatalf("object %s: %v", raw, err)
				}
				var object string
				json.Unmarshal(o["object"], &object)
				if object != typ || len(o["id"]) == 0 {
					t.Errorf("got object %q with id %s, want a %s", object, o["id"], typ)
				}
				for _, field := range wantFields[typ] {
					if _, ok := o[field]; !ok {
						t.Errorf("%s has no %q", typ, field)
					}
				}
			}
		})
	}
	if _, err := c.ListPage(ctx, "account", ListParams{}); paywarden.ErrorCode(err) != paywarden.EINVALID {
		t.Errorf("ListPage(account): got %v, want %s", err, paywarden.EINVALID)
	}
	if _, err := c.ListPage(ctx, paywarden.ObjectCharge, ListParams{Limit: 101}); paywarden.ErrorCode(err) != paywarden.EINVALID {
		t.Errorf("ListPage(limit 101): got %v, want %s", err, paywarden.EINVALID)
	}
}

// wantFields are fields reports read that a listed object must carry.
var wantFields = map[string][]string{
	paywarden.ObjectBalanceTransaction: {"fee", "fee_details", "type", "source", "amount", "net", "currency", "created"},
	paywarden.ObjectSubscription:       {"items", "discounts", "status", "trial_end", "cancel_at", "canceled_at"},
	paywarden.ObjectPayout:             {"arrival_date", "status", "amount", "currency"},
	paywarden.ObjectCharge:             {"amount", "amount_refunded", "status", "balance_transaction"},
}

// TestListPageQuery checks what a page request carries and what the page
// keeps, against a server that records the query: stripe-mock accepts
// these requests but cannot show what was sent.
func TestListPageQuery(t *testing.T) {
	var got atomic.Value
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.Query())
		if calls.Add(1) == 1 {
			// One 429 first: the page is read again, and SentAt is the
			// time of the attempt that was answered.
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`)
			return
		}
		fmt.Fprint(w, `{"object":"list","has_more":true,"url":"/v1/subscriptions","data":[{"id":"sub_1","object":"subscription"}]}`)
	}))
	defer srv.Close()
	var slept []time.Duration
	c, err := New(Config{Keys: map[string]paywarden.Secret{paywarden.CapabilityDefault: testKey("sk", "l")},
		APIBase: srv.URL, RateLimit: -1,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	since := time.Unix(1700000000, 0)
	before := time.Now()
	page, err := c.ListPage(context.Background(), paywarden.ObjectSubscription, ListParams{StartingAfter: "sub_9", CreatedGTE: since})
	if err != nil {
		t.Fatal(err)
	}
	q := got.Load().(url.Values)
	for k, want := range map[string]string{
		"limit": strconv.Itoa(MaxListLimit), "status": "all", "starting_after": "sub_9",
		"created[gte]": "1700000000", "expand[]": "data.discounts.source.coupon",
	} {
		if v := q[k]; len(v) != 1 || v[0] != want {
			t.Errorf("query %s: got %v, want %s", k, v, want)
		}
	}
	if len(slept) != 1 || slept[0] < time.Second {
		t.Errorf("waits: got %v, want one of at least the Retry-After of 1s", slept)
	}
	if !page.HasMore || len(page.Objects) != 1 || page.SentAt.Before(before) {
		t.Errorf("page: got has_more %t, %d objects, sent at %s; want true, 1, after %s", page.HasMore, len(page.Objects), page.SentAt, before)
	}
}
