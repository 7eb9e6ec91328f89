package paywarden

import (
	"context"
	"time"
)

// SyncCursor is where the backfill of one object type from Stripe's list
// API stands (`paywarden sync`). It is committed after each page, so that a
// sync that was killed continues after the last page it stored.
type SyncCursor struct {
	Type string // ObjectCustomer, ...
	// Since is the created[gte] bound the listing started with; zero
	// means every object. A sync with another bound starts the type over.
	Since time.Time
	// LastID is the id of the last object of the last page stored: the
	// next page starts after it. Empty before the first page.
	LastID string
	// Done is set when the last page has been stored; a finished type is
	// not listed again until the cursor is reset or Since changes.
	Done bool

	// Counts since the listing of this type started.
	Listed    int64 // objects Stripe listed
	Written   int64 // objects written to the mirror
	Unchanged int64 // objects the mirror already held as listed
	Newer     int64 // objects the mirror held in a newer state, kept
	Pages     int64

	StartedAt time.Time
	UpdatedAt time.Time // set by the store on each save
}

// Validate checks that the cursor can be stored. EINVALID.
func (c *SyncCursor) Validate() error {
	if c == nil || c.Type == "" {
		return Errorf(EINVALID, "a sync cursor needs an object type")
	}
	if c.Listed < 0 || c.Written < 0 || c.Unchanged < 0 || c.Newer < 0 || c.Pages < 0 {
		return Errorf(EINVALID, "a sync cursor's counts cannot be negative")
	}
	return nil
}

// WithDefaults returns a copy of c as a store writes it: a zero StartedAt
// is now, and UpdatedAt is now.
func (c *SyncCursor) WithDefaults(now time.Time) SyncCursor {
	d := *c
	d.StartedAt = orNow(d.StartedAt, now)
	d.UpdatedAt = now
	return d
}

// SyncStore keeps the cursors of `paywarden sync`.
type SyncStore interface {
	// SyncCursor returns the cursor of one object type. ENOTFOUND if there
	// is none.
	SyncCursor(ctx context.Context, typ string) (*SyncCursor, error)
	// SyncCursors returns every cursor, ordered by type.
	SyncCursors(ctx context.Context) ([]*SyncCursor, error)
	// SaveSyncCursor creates or replaces the cursor of c.Type, written with
	// its defaults (WithDefaults), which it also sets in c. EINVALID for a
	// cursor that fails Validate.
	SaveSyncCursor(ctx context.Context, c *SyncCursor) error
	// DeleteSyncCursors removes the cursors of the given types, or every
	// cursor when types is empty, and returns how many it removed.
	DeleteSyncCursors(ctx context.Context, types []string) (int, error)
}
