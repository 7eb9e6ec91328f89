package stripeapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
)

// record returns the mirror record of the object Stripe answered a change
// with, for the caller's write-through, or nil when the answer cannot be
// read as one (logged; the object's webhook event will bring it).
//
// It is dated as sync dates a listing: the second before the request was
// sent, and fetched. Stripe's created times are whole seconds, so an event
// created in the second of the request, or later, may show newer state
// than the answer and must win; an event created before it must not.
// Giving that second away errs on the side that heals: at worst an event
// no newer than the answer rewrites the same object, never the reverse.
func (c *Client) record(ctx context.Context, op string, resp *stripe.APIResponse, sent time.Time) *paywarden.MirrorObject {
	if resp == nil {
		return nil
	}
	o, err := paywarden.ParseMirrorObject(collapseLatestInvoice(resp.RawJSON))
	if err != nil {
		// The error names no field values: the body may hold secrets.
		c.logger.WarnContext(ctx, "stripe answer not readable as a mirror object", "op", op, "err", paywarden.ErrorMessage(err))
		return nil
	}
	o.Version, o.Fetched = sent.Truncate(time.Second).Add(-time.Second), true
	return o
}

// collapseLatestInvoice replaces a subscription's expanded latest_invoice
// by its id, as a webhook or a fetch sends it: a subscription is created
// with its first invoice expanded for the confirmation secret, which is
// the caller's to use once and has no place in the mirror. Any other JSON
// is returned as it is.
func collapseLatestInvoice(raw []byte) []byte {
	var o map[string]json.RawMessage
	if json.Unmarshal(raw, &o) != nil || string(o["object"]) != `"subscription"` {
		return raw
	}
	var inv struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(o["latest_invoice"], &inv) != nil || inv.ID == "" {
		return raw
	}
	o["latest_invoice"], _ = json.Marshal(inv.ID)
	out, err := json.Marshal(o)
	if err != nil {
		return raw
	}
	return out
}

// mirrorExpand returns the expansions of a mirrored type's kind, so that an
// answer the API writes through holds what a fetch of the type would.
func mirrorExpand(objectType string) []*string {
	k, _ := paywarden.MirrorKindOf(objectType)
	return stripe.StringSlice(k.Expand)
}
