package eventproc

import (
	"context"
	"fmt"

	"github.com/paywarden/paywarden"
)

// offVersion reports whether e was sent at another API version than the
// pinned one (Options.APIVersion). Such an event was stored quarantined;
// once replayed, its payload is still of that other version's shape and is
// never read as the pinned one's.
func (p *Processor) offVersion(e *paywarden.Event) bool {
	return p.o.APIVersion != "" && e.APIVersion != p.o.APIVersion
}

// repinnedState returns the mirror state of an off-version event's object:
// the object re-read from Stripe, which answers at the pinned version,
// never the event's payload. Without a Fetcher, or when Stripe cannot be
// reached, the event fails and is retried, so nothing of its payload
// reaches the mirror. When Stripe no longer has the object, a copy the
// mirror holds is marked deleted (its stored, pinned-version JSON kept);
// an object the mirror never held is left out (nil).
func (p *Processor) repinnedState(ctx context.Context, e *paywarden.Event) (*paywarden.MirrorObject, error) {
	if p.o.Fetcher == nil {
		return nil, paywarden.Errorf(paywarden.EUNAVAILABLE,
			"event of API version %q, not the pinned %q: its object must be re-read from Stripe, and no Stripe client is configured",
			e.APIVersion, p.o.APIVersion)
	}
	data, err := p.o.Fetcher.Fetch(ctx, e.ObjectType, e.ObjectID)
	switch {
	case err == nil:
		p.o.Metrics.fetches.Inc()
	case paywarden.ErrorCode(err) == paywarden.ENOTFOUND:
		cur, err := p.o.Store.Object(ctx, e.ObjectType, e.ObjectID)
		switch {
		case paywarden.ErrorCode(err) == paywarden.ENOTFOUND:
			return nil, nil
		case err != nil:
			return nil, err
		}
		cur.Status, cur.Version, cur.Fetched, cur.EventID = "deleted", e.Created, false, e.ID
		return cur, nil
	default:
		return nil, fmt.Errorf("re-reading %s %s at the pinned API version: %w", e.ObjectType, e.ObjectID, err)
	}
	obj, err := extract(data)
	if err != nil {
		return nil, err
	}
	if obj.ID != e.ObjectID || obj.Type != e.ObjectType {
		return nil, fmt.Errorf("object %s %s differs from the event's %s %s", obj.Type, obj.ID, e.ObjectType, e.ObjectID)
	}
	obj.Version, obj.Fetched, obj.EventID = e.Created, true, e.ID
	return obj, nil
}
