package stripeapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// MaxListLimit is the largest page Stripe's list APIs serve.
const MaxListLimit = 100

// listQueries holds what a page of some types carries beyond the bounds:
// what reports need that a list does not return by default, within
// Stripe's limit of four levels of expansion counting "data".
//
// A subscription's discounts come with their coupons (percent or amount
// off); an item's own discounts cannot, being six levels deep. A
// subscription item's price, a balance transaction's fee, fee_details,
// type and source id are in the default answer and need no expansion.
var listQueries = map[string]url.Values{
	paywarden.ObjectSubscription: {
		// Without status=all Stripe leaves canceled subscriptions out,
		// and churn needs them.
		"status":   {"all"},
		"expand[]": {"data.discounts.source.coupon"},
	},
}

// listPath returns the list API of a mirrored type, or false for a type
// paywarden does not mirror. As for fetchPath, every mirrored type's
// resource is its plural: /v1/payment_intents, /v1/balance_transactions.
func listPath(objectType string) (string, bool) {
	path, ok := fetchPath(objectType)
	return strings.TrimSuffix(path, "/%s"), ok
}

// Lists reports whether objectType has a list API that ListPage pages:
// every type of paywarden.MirroredTypes.
func Lists(objectType string) bool {
	_, ok := listPath(objectType)
	return ok
}

// ListParams selects one page of a list.
type ListParams struct {
	// StartingAfter is the id of the last object of the previous page;
	// empty means the first page. Stripe lists newest first, so each page
	// holds older objects than the one before.
	StartingAfter string
	// CreatedGTE keeps only objects created at or after it; zero means all.
	CreatedGTE time.Time
	// Limit is the page size, 1 to MaxListLimit; zero means MaxListLimit.
	Limit int
}

// ListPage is one page of a list API.
type ListPage struct {
	// Objects holds each object's JSON as Stripe sent it.
	Objects []json.RawMessage
	// HasMore is true when older objects follow.
	HasMore bool
	// SentAt is when the request that Stripe answered was sent: the page
	// shows no state newer than that.
	SentAt time.Time
}

// rawList keeps the JSON of a list answer the SDK read.
type rawList struct{ stripe.APIResource }

// listPage is the part of a list answer that paywarden reads.
type listPage struct {
	Object  string            `json:"object"`
	Data    []json.RawMessage `json:"data"`
	HasMore bool              `json:"has_more"`
}

// ListPage reads one page of the list API of objectType with the read key,
// through the retry loop and the client's rate limiter. EINVALID for a type
// that has no list API here or a bad limit; otherwise the codes of every
// call.
func (c *Client) ListPage(ctx context.Context, objectType string, p ListParams) (*ListPage, error) {
	path, ok := listPath(objectType)
	if !ok {
		return nil, paywarden.Errorf(paywarden.EINVALID, "paywarden does not list objects of type %q", objectType)
	}
	if p.Limit < 0 || p.Limit > MaxListLimit {
		return nil, paywarden.Errorf(paywarden.EINVALID, "a page holds 1 to %d objects", MaxListLimit)
	}
	q := url.Values{"limit": {strconv.Itoa(orDefault(p.Limit, MaxListLimit))}}
	for k, vs := range listQueries[objectType] {
		q[k] = vs
	}
	if !p.CreatedGTE.IsZero() {
		q.Set("created[gte]", strconv.FormatInt(p.CreatedGTE.Unix(), 10))
	}
	if p.StartingAfter != "" {
		q.Set("starting_after", p.StartingAfter)
	}
	// The query is built here, as ListEvents does: stripe-go's list
	// params cannot express created[gte] for every type through Call.
	path += "?" + q.Encode()
	var (
		obj    rawList
		sentAt time.Time
	)
	err := c.call(ctx, "List "+objectType, paywarden.CapabilityRead, func(ctx context.Context, _ *stripe.Client, key string) error {
		obj = rawList{}
		sentAt = time.Now()
		return c.backend.Call(http.MethodGet, path, key, &stripe.Params{Context: ctx}, &obj)
	})
	if err != nil {
		return nil, err
	}
	var page listPage
	if obj.LastResponse == nil || json.Unmarshal(obj.LastResponse.RawJSON, &page) != nil || page.Object != "list" {
		return nil, paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe sent an answer paywarden could not read.")
	}
	return &ListPage{Objects: page.Data, HasMore: page.HasMore, SentAt: sentAt}, nil
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
