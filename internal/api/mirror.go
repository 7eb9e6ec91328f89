package api

import (
	"context"
	"time"

	"github.com/paywarden/paywarden"
)

// mirrorWriteTimeout bounds a write-through, which runs even when the
// caller has gone: Stripe has acted, and the mirror should show it.
const mirrorWriteTimeout = 5 * time.Second

// writeThrough upserts into the mirror the object Stripe answered a change
// with, in the request, so that the caller's next read of the mirror (GET
// /v1/payments) shows it. It goes through the store's ordering guard like
// any other write: rec is dated the second before the request to Stripe
// and counts as fetched, so a webhook event created later overwrites it
// and one created earlier does not.
//
// A failure here never turns the answer into an error. Stripe is the
// truth and has already acted: failing the request would make the caller
// believe nothing happened (a retry with the same Idempotency-Key would
// still not act twice, but callers give up). The failure is logged and
// counted, and the object's webhook event heals the mirror.
func (a *API) writeThrough(ctx context.Context, rec *paywarden.MirrorObject) {
	if rec == nil {
		// stripeapi logged why the answer was not readable.
		a.mirrorFailures.Inc()
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mirrorWriteTimeout)
	defer cancel()
	if _, err := a.store.UpsertObjects(ctx, []*paywarden.MirrorObject{rec}); err != nil {
		a.mirrorFailures.Inc()
		a.logger.WarnContext(ctx, "writing Stripe's answer to the mirror failed; its webhook event will bring it",
			"type", rec.Type, "id", rec.ID, "err", err)
	}
}
