package paywarden

import (
	"context"
	"time"
)

// KeepsHistory reports whether the mirror keeps every state of objects of
// type t, not only the latest. Reports need a subscription's state at the
// start and at the end of a period to tell new, expansion, contraction and
// churned revenue apart; no other report looks back, so no other type pays
// for the extra writes.
func KeepsHistory(t string) bool { return t == ObjectSubscription }

// MirrorHistoryStore is the history of the objects whose history is kept
// (KeepsHistory): every state the ordering guard wrote, with its Version.
// A state is taken to be true from its Version until the next state's.
//
// History starts when the store records it: an object mirrored earlier has
// only the state it had then, and an object backfilled by sync only the
// state it had when it was read. Readers must not take "no state before t"
// to mean "did not exist at t".
type MirrorHistoryStore interface {
	// ObjectsAt returns, for each of ids that has a recorded state with a
	// Version at or before at, the latest such state, in no particular
	// order. Ids without one are left out; no ids, no states. EINVALID if
	// typ is empty (ValidateHistoryType).
	ObjectsAt(ctx context.Context, typ string, ids []string, at time.Time) ([]*MirrorObject, error)
	// ObjectHistory returns every recorded state of one object, oldest
	// first, or none. EINVALID if typ is empty (ValidateHistoryType).
	ObjectHistory(ctx context.Context, typ, id string) ([]*MirrorObject, error)
}

// ValidateHistoryType returns EINVALID for an empty type: a history is
// read one type at a time, and an empty type would silently read nothing.
func ValidateHistoryType(typ string) error {
	if typ == "" {
		return Errorf(EINVALID, "reading the history needs a type")
	}
	return nil
}
