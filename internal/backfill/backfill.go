// Package backfill fills the local mirror from Stripe's list APIs: the
// engine of `paywarden sync`.
//
// Each object type is paged through newest first (starting_after), and each
// page is written to the mirror under the ordering guard before the type's
// cursor is committed, so that a sync that was killed continues after the
// last page it stored. A listed object's Version is the second before its
// page was requested, and it counts as fetched: a webhook event created
// after the request (or in the same second) always wins over the listing,
// and a listing wins over any event created before it. An object the mirror
// already holds exactly as listed is not written again, so a re-run that
// reads the same objects writes nothing.
//
// The listing is dated by the local clock and events by Stripe's: the
// guard holds as long as the two agree within the second given away above,
// which NTP keeps.
package backfill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// Lister reads one page of a list API: *stripeapi.Client, whose retry loop
// and rate limiter every page goes through.
type Lister interface {
	ListPage(ctx context.Context, objectType string, p stripeapi.ListParams) (*stripeapi.ListPage, error)
}

// Store is what a backfill needs of the database.
type Store interface {
	paywarden.MirrorStore
	paywarden.SyncStore
}

// Options configures Run.
type Options struct {
	// Types are the object types to sync, in order; empty means every type
	// in paywarden.MirroredTypes.
	Types []string
	// Since keeps only objects created at or after it (whole seconds, as
	// Stripe filters); zero means every object. A cursor whose listing
	// already covers Since (it was started with the same or an earlier
	// bound, or none) is continued, or skipped when done, with its own
	// bound; one started with a later bound is started over, as it cannot
	// hold the older objects asked for. So `--since 720h` given again a
	// minute later resumes instead of starting over.
	Since time.Time
	// Restart deletes the cursors of Types first, so that every type is
	// listed again from its newest object.
	Restart bool
	// PageSize is the number of objects per page; zero means Stripe's
	// maximum, 100.
	PageSize int
	// Progress is told of each type and page; nil means nothing is shown.
	Progress Progress
	// Logger is told when a type starts over because Since asks for older
	// objects than its cursor covers; nil discards it.
	Logger *slog.Logger
}

// Status says how the sync of one type ended.
type Status string

// The statuses of a TypeResult.
const (
	StatusDone    Status = "done"         // listed to the end in this run
	StatusSkipped Status = "already done" // finished by an earlier run
	StatusStopped Status = "stopped"      // interrupted or failed; the cursor holds its place
	StatusPending Status = "not started"  // an earlier type stopped the run
)

// TypeResult is what a run did for one object type. The counts are this
// run's; Cursor holds the totals since the type's listing started.
type TypeResult struct {
	Type      string
	Status    Status
	Resumed   bool // continued after the cursor of an earlier run
	Listed    int64
	Written   int64
	Unchanged int64 // already in the mirror as listed
	Newer     int64 // the mirror held a newer state, kept
	Pages     int64
	Duration  time.Duration
	Cursor    *paywarden.SyncCursor
}

// Result is what a run did, one TypeResult per type in the order synced.
type Result struct {
	Types []TypeResult
}

// ValidateTypes checks that every type is mirrored and listable. EINVALID.
func ValidateTypes(types []string) error {
	for _, t := range types {
		if !slices.Contains(paywarden.MirroredTypes, t) || !stripeapi.Lists(t) {
			return paywarden.Errorf(paywarden.EINVALID, "paywarden does not sync objects of type %q", t)
		}
	}
	return nil
}

// Run syncs each type of opts in turn and returns what it did, also when
// it stops early: then the error says why (the context's error when it was
// cancelled), the type that was being listed has StatusStopped and its
// cursor keeps its place for the next run.
func Run(ctx context.Context, l Lister, st Store, opts Options) (*Result, error) {
	types := opts.Types
	if len(types) == 0 {
		types = paywarden.MirroredTypes
	}
	if err := ValidateTypes(types); err != nil {
		return nil, err
	}
	if opts.PageSize < 0 || opts.PageSize > stripeapi.MaxListLimit {
		return nil, paywarden.Errorf(paywarden.EINVALID, "a page holds 1 to %d objects", stripeapi.MaxListLimit)
	}
	if opts.Progress == nil {
		opts.Progress = nopProgress{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Since = opts.Since.Truncate(time.Second)
	if opts.Restart {
		if _, err := st.DeleteSyncCursors(ctx, types); err != nil {
			return nil, err
		}
	}
	res := &Result{}
	for i, typ := range types {
		r, err := syncType(ctx, l, st, opts, typ)
		res.Types = append(res.Types, r)
		if err != nil {
			for _, rest := range types[i+1:] {
				res.Types = append(res.Types, TypeResult{Type: rest, Status: StatusPending})
			}
			return res, err
		}
	}
	return res, nil
}

// syncType lists one type from its cursor to the end.
func syncType(ctx context.Context, l Lister, st Store, opts Options, typ string) (r TypeResult, err error) {
	start := time.Now()
	r = TypeResult{Type: typ, Status: StatusStopped}
	defer func() { r.Duration = time.Since(start) }()

	cur, err := st.SyncCursor(ctx, typ)
	switch {
	case paywarden.ErrorCode(err) == paywarden.ENOTFOUND:
		cur = &paywarden.SyncCursor{Type: typ, Since: opts.Since}
	case err != nil:
		return r, err
	case cur.Since.After(opts.Since):
		opts.Logger.InfoContext(ctx, "sync starts the type over: --since asks for older objects than it listed",
			"type", typ, "listed_since", cur.Since, "since", opts.Since)
		cur = &paywarden.SyncCursor{Type: typ, Since: opts.Since}
	case cur.Done:
		r.Status, r.Cursor, r.Duration = StatusSkipped, cur, time.Since(start)
		opts.Progress.End(r)
		return r, nil
	}
	r.Resumed = cur.LastID != ""
	if cur.StartedAt.IsZero() {
		cur.StartedAt = start
	}
	opts.Progress.Begin(typ, cur)
	defer func() {
		r.Cursor, r.Duration = cur, time.Since(start)
		opts.Progress.End(r)
	}()

	startedOver := false
	for !cur.Done {
		page, err := l.ListPage(ctx, typ, stripeapi.ListParams{
			StartingAfter: cur.LastID, CreatedGTE: cur.Since, Limit: opts.PageSize,
		})
		if err != nil && cur.LastID != "" && !startedOver && cursorGone(err) {
			// The object the cursor stood after was deleted at Stripe
			// since the page was stored: the listing cannot continue
			// after it, so it starts over; what is stored is unchanged.
			opts.Logger.WarnContext(ctx, "sync starts the type over: the object its cursor stood after is gone",
				"type", typ, "after", cur.LastID)
			startedOver = true
			cur = &paywarden.SyncCursor{Type: typ, Since: cur.Since, StartedAt: time.Now()}
			continue
		}
		if err != nil {
			return r, err
		}
		n, err := commitPage(ctx, st, cur, typ, page)
		if err != nil {
			return r, err
		}
		r.Listed += int64(len(page.Objects))
		r.Written, r.Unchanged, r.Newer = r.Written+n.written, r.Unchanged+n.unchanged, r.Newer+n.newer
		r.Pages++
		opts.Progress.Page(typ, len(page.Objects))
		if err := ctx.Err(); err != nil && !cur.Done {
			return r, err
		}
	}
	r.Status = StatusDone
	return r, nil
}

// commitPage stores a page that was read, then advances cur past it and
// commits it. Both writes go ahead even if ctx is cancelled meanwhile, so
// that an interrupt loses no page it read; a crash between them only means
// the page is read again, and found unchanged.
func commitPage(ctx context.Context, st Store, cur *paywarden.SyncCursor, typ string, page *stripeapi.ListPage) (pageCounts, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	n, err := storePage(ctx, st, typ, page)
	if err != nil {
		return n, err
	}
	next := *cur
	next.Listed += int64(len(page.Objects))
	next.Written, next.Unchanged, next.Newer = next.Written+n.written, next.Unchanged+n.unchanged, next.Newer+n.newer
	next.Pages++
	if len(page.Objects) > 0 {
		next.LastID = n.lastID
	}
	next.Done = !page.HasMore || len(page.Objects) == 0
	if err := st.SaveSyncCursor(ctx, &next); err != nil {
		return n, err
	}
	*cur = next
	return n, nil
}

// cursorGone reports whether err is Stripe refusing starting_after because
// it names no object.
func cursorGone(err error) bool {
	var e *paywarden.Error
	return errors.As(err, &e) && e.Param == "starting_after" &&
		(e.Code == paywarden.EINVALID || e.Code == paywarden.ENOTFOUND)
}

// pageCounts is what storing one page did.
type pageCounts struct {
	written, unchanged, newer int64
	lastID                    string
}

// storePage writes a page's objects that differ from the mirror, under the
// ordering guard.
func storePage(ctx context.Context, st Store, typ string, page *stripeapi.ListPage) (pageCounts, error) {
	var n pageCounts
	// Stripe's created times are whole seconds: an event created in the
	// second the page was requested may be newer than what the page shows,
	// so the listing is dated the second before, and such an event wins.
	version := page.SentAt.Truncate(time.Second).Add(-time.Second)
	listed := make([]*paywarden.MirrorObject, 0, len(page.Objects))
	for _, raw := range page.Objects {
		o, err := extract(typ, raw)
		if err != nil {
			return n, err
		}
		o.Version, o.Fetched = version, true
		listed = append(listed, o)
		n.lastID = o.ID
	}
	stored, err := storedOf(ctx, st, typ, listed)
	if err != nil {
		return n, err
	}
	var objs []*paywarden.MirrorObject
	for _, o := range listed {
		if s, ok := stored[o.ID]; ok && sameJSON(s.Data, o.Data) {
			n.unchanged++
			continue
		}
		objs = append(objs, o)
	}
	written, err := st.UpsertObjects(ctx, objs)
	if err != nil {
		return n, err
	}
	for _, w := range written {
		if w {
			n.written++
		} else {
			n.newer++
		}
	}
	return n, nil
}

// extract builds the mirror record of a listed object, compacted, with
// the workers' extraction.
func extract(typ string, raw []byte) (*paywarden.MirrorObject, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe listed a %s paywarden could not read.", typ)
	}
	o, err := paywarden.ParseMirrorObject(buf.Bytes())
	if err != nil {
		return nil, &paywarden.Error{Code: paywarden.ESTRIPEUNAVAILABLE,
			Message: fmt.Sprintf("Stripe listed a %s paywarden could not read.", typ), Err: err}
	}
	if o.Type != typ {
		return nil, paywarden.Errorf(paywarden.ESTRIPEUNAVAILABLE, "Stripe listed a %s among the %ss.", o.Type, typ)
	}
	return o, nil
}

// storedOf returns what the mirror holds of the listed objects, by id. A
// page is a run of objects by created time, so one read of that window
// finds them all; an object without a created time is read alone.
func storedOf(ctx context.Context, st Store, typ string, listed []*paywarden.MirrorObject) (map[string]*paywarden.MirrorObject, error) {
	stored := map[string]*paywarden.MirrorObject{}
	var from, to time.Time
	for _, o := range listed {
		if o.Created.IsZero() {
			s, err := st.Object(ctx, typ, o.ID)
			if paywarden.ErrorCode(err) == paywarden.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, err
			}
			stored[o.ID] = s
			continue
		}
		if from.IsZero() || o.Created.Before(from) {
			from = o.Created
		}
		if o.Created.After(to) {
			to = o.Created
		}
	}
	if from.IsZero() {
		return stored, nil
	}
	objs, err := st.ListObjects(ctx, paywarden.MirrorFilter{Type: typ, CreatedFrom: from, CreatedTo: to.Add(time.Second), Limit: -1})
	if err != nil {
		return nil, err
	}
	for _, s := range objs {
		stored[s.ID] = s
	}
	return stored, nil
}

// sameJSON reports whether two JSON texts are equal once compacted: Stripe
// indents an object differently inside a list, an event or alone.
func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
