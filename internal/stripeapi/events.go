package stripeapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// eventPage is one page of GET /v1/events.
type eventPage struct {
	Data    []json.RawMessage `json:"data"`
	HasMore bool              `json:"has_more"`
}

// ListEvents pages through Stripe's Events API with the read key, newest
// first, and calls fn with the JSON of every event created at or after
// since, exactly as Stripe sent it. It stops at the first error of fn.
// Stripe keeps events for 30 days; older ones are not listed.
func (c *Client) ListEvents(ctx context.Context, since time.Time, fn func(raw []byte) error) error {
	after := ""
	for {
		// The query is built here: stripe-go's form encoder panics on
		// EventListParams' two "created" fields when passed to Call.
		q := url.Values{"limit": {"100"}, "created[gte]": {strconv.FormatInt(since.Unix(), 10)}}
		if after != "" {
			q.Set("starting_after", after)
		}
		var obj rawObject
		err := c.call(ctx, "ListEvents", paywarden.CapabilityRead, func(ctx context.Context, _ *stripe.Client, key string) error {
			return c.backend.Call(http.MethodGet, "/v1/events?"+q.Encode(), key, &stripe.Params{Context: ctx}, &obj)
		})
		if err != nil {
			return err
		}
		var page eventPage
		if obj.LastResponse == nil || json.Unmarshal(obj.LastResponse.RawJSON, &page) != nil {
			return paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe sent an answer paywarden could not read.")
		}
		for _, raw := range page.Data {
			if err := fn(raw); err != nil {
				return err
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			return nil
		}
		var last struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(page.Data[len(page.Data)-1], &last) != nil || last.ID == "" {
			return paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe sent an answer paywarden could not read.")
		}
		after = last.ID
	}
}
