package eventproc

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/paywarden/paywarden"
)

// batch groups the events of one claimed batch by object, so that each
// object's mirror state is worked out, and fetched, once: ten events of
// one payment intent cost at most one call to Stripe.
type batch struct {
	groups map[objectKey]*group
}

type objectKey struct{ typ, id string }

// group is the events of one object in a batch and, once worked out, the
// state they all write.
type group struct {
	newest *paywarden.Event // the latest Created; its snapshot is the candidate state
	tie    bool             // another event of the batch has the same Created as newest

	done bool
	obj  *paywarden.MirrorObject
	err  error
}

func newBatch(events []*paywarden.Event) *batch {
	b := &batch{groups: map[objectKey]*group{}}
	for _, e := range events {
		if !mirrored(e) {
			continue
		}
		k := objectKey{e.ObjectType, e.ObjectID}
		g := b.groups[k]
		switch {
		case g == nil:
			b.groups[k] = &group{newest: e}
		case e.Created.After(g.newest.Created):
			g.newest, g.tie = e, false
		case e.Created.Equal(g.newest.Created):
			g.tie = true
		}
	}
	return b
}

func mirrored(e *paywarden.Event) bool {
	return e.ObjectID != "" && slices.Contains(paywarden.MirroredTypes, e.ObjectType)
}

// group returns the group of e's object, or nil when e has nothing to mirror.
func (b *batch) group(e *paywarden.Event) *group {
	if !mirrored(e) {
		return nil
	}
	return b.groups[objectKey{e.ObjectType, e.ObjectID}]
}

// state returns the mirror state every event of the group writes,
// working it out on first use.
func (g *group) state(ctx context.Context, p *Processor) (*paywarden.MirrorObject, error) {
	if !g.done {
		g.obj, g.err = p.mirrorState(ctx, g)
		g.done = true
	}
	return g.obj, g.err
}

// mirrorState returns the state of the group's object to write to the
// mirror: the newest event's snapshot, or Stripe's current state when
// refetch says the snapshot cannot be trusted. The store's ordering guard
// does the rest.
func (p *Processor) mirrorState(ctx context.Context, g *group) (*paywarden.MirrorObject, error) {
	n := g.newest
	if p.offVersion(n) {
		// Its payload is another version's shape: only Stripe's answer at
		// the pinned version is mirrored (version.go).
		return p.repinnedState(ctx, n)
	}
	raw, err := objectOf(n.Payload)
	if err != nil {
		return nil, err
	}
	deleted := n.Type == n.ObjectType+".deleted"
	version, fetch := n.Created, false
	if p.o.Fetcher != nil && !deleted {
		cur, err := p.o.Store.Object(ctx, n.ObjectType, n.ObjectID)
		switch {
		case paywarden.ErrorCode(err) == paywarden.ENOTFOUND:
			cur = nil
		case err != nil:
			return nil, err
		}
		fetch, version = refetch(n, g.tie, cur)
	}
	fetched := false
	if fetch {
		data, err := p.o.Fetcher.Fetch(ctx, n.ObjectType, n.ObjectID)
		switch {
		case err == nil:
			raw, fetched = data, true
			p.o.Metrics.fetches.Inc()
		case paywarden.ErrorCode(err) == paywarden.ENOTFOUND:
			// Gone from Stripe: the payload is the last state there is.
			version = n.Created
		default:
			return nil, fmt.Errorf("fetching %s: %w", n.ObjectType, err)
		}
	}
	obj, err := extract(raw)
	if err != nil {
		return nil, err
	}
	if obj.ID != n.ObjectID || obj.Type != n.ObjectType {
		return nil, fmt.Errorf("object %s %s differs from the event's %s %s", obj.Type, obj.ID, n.ObjectType, n.ObjectID)
	}
	if deleted {
		obj.Status = "deleted"
	}
	obj.Version, obj.Fetched, obj.EventID = version, fetched, n.ID
	return obj, nil
}

// refetch decides whether the newest event n of an object is applied from
// its snapshot or from a fetch, given whether another event of the batch
// has the same Created (tie) and the state the mirror holds (cur, nil if
// none). version is what the written state is labelled with.
//
// Why a snapshot is enough when refetch says so. An event's data.object is
// the object exactly as it was at the event's Created. The mirror's guard
// writes a state only if its version (the Created of the event it came
// from) is later than the stored one, or equal and fetched. Suppose n is
// the only event of the batch at its Created and the mirror holds nothing
// at or after it (cur is nil or older). Then n's snapshot is the newest
// state of the object paywarden has seen, and writing it moves the mirror
// forward, never back. Any later change of the object on Stripe comes with
// its own event, created at or after n: if after, its snapshot wins by the
// guard; if in the same second, it meets n's state as a tie, below, and is
// fetched. So the mirror only ever moves forward, and once every event is
// processed it holds Stripe's state. A fetch could only make the mirror
// fresher before that later event arrives, which is what the event brings.
//
// Where the snapshot cannot be trusted, Stripe is asked:
//   - a tie, in the batch or with the stored state of another event: two
//     states in one second cannot be ordered by Created, so neither
//     snapshot is provably the newer;
//   - an out-of-order money-moving event (the mirror already holds a later
//     state): its snapshot is stale, and the guard would drop it. Stripe's
//     current state is at least as new as the stored one, which it read
//     earlier, so it is written with the stored version, where a fetched
//     state wins the tie. For money-moving objects a late event is a sign
//     of a race worth one call; for the others the guard alone keeps the
//     newer state.
//
// Money-moving objects are always read from Stripe (PRODUCT.md §4), once
// per object per batch. The argument above holds within one batch, but two
// workers (or two replicas) may each hold one of two same-second events of
// an object, each see no stored state, and each apply its snapshot: the
// tie goes unseen and the guard keeps whichever wrote first. For a
// customer that costs a stale field until the next event; for money it is
// not acceptable, so there the snapshot is never trusted.
//
// A replay of the event the mirror already holds (same id) needs neither.
func refetch(n *paywarden.Event, tie bool, cur *paywarden.MirrorObject) (fetch bool, version time.Time) {
	switch {
	case tie:
		return true, n.Created
	case cur != nil && cur.EventID == n.ID:
		return false, n.Created
	case paywarden.MoneyMoving(n.ObjectType):
		if cur != nil && cur.Version.After(n.Created) {
			return true, cur.Version
		}
		return true, n.Created
	case cur == nil:
		return false, n.Created
	case cur.Version.Equal(n.Created):
		return true, n.Created
	}
	return false, n.Created
}
