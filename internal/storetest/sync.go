package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
)

// The tests of paywarden.SyncStore, the cursors of `paywarden sync`.

func testSyncCursors(t *testing.T, open opener) {
	s, clock := setup(t, open)
	ctx := context.Background()

	_, err := s.SyncCursor(ctx, paywarden.ObjectCharge)
	wantCode(t, "SyncCursor of a type never synced", err, paywarden.ENOTFOUND)
	wantCode(t, "SaveSyncCursor without a type", s.SaveSyncCursor(ctx, &paywarden.SyncCursor{}), paywarden.EINVALID)
	wantCode(t, "SaveSyncCursor with a negative count",
		s.SaveSyncCursor(ctx, &paywarden.SyncCursor{Type: "charge", Listed: -1}), paywarden.EINVALID)

	// A first page: no Since, StartedAt left to the store.
	c := &paywarden.SyncCursor{Type: paywarden.ObjectCharge, LastID: "ch_2", Listed: 2, Written: 2, Pages: 1}
	must(t, "SaveSyncCursor", s.SaveSyncCursor(ctx, c))
	want := paywarden.SyncCursor{Type: paywarden.ObjectCharge, LastID: "ch_2", Listed: 2, Written: 2, Pages: 1,
		StartedAt: norm(t0), UpdatedAt: norm(t0)}
	if diff := cmp.Diff(want, *c); diff != "" {
		t.Errorf("the saved cursor (-want +got):\n%s", diff)
	}
	got, err := s.SyncCursor(ctx, paywarden.ObjectCharge)
	must(t, "SyncCursor", err)
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("SyncCursor after the first page (-want +got):\n%s", diff)
	}

	// The next page replaces it; times come back in UTC to the microsecond.
	clock.Advance(time.Minute)
	since := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", -7200))
	c2 := &paywarden.SyncCursor{Type: paywarden.ObjectCharge, Since: since, LastID: "ch_4", Done: true,
		Listed: 4, Written: 2, Unchanged: 1, Newer: 1, Pages: 2, StartedAt: t0}
	must(t, "SaveSyncCursor again", s.SaveSyncCursor(ctx, c2))
	want = paywarden.SyncCursor{Type: paywarden.ObjectCharge, Since: norm(since), LastID: "ch_4", Done: true,
		Listed: 4, Written: 2, Unchanged: 1, Newer: 1, Pages: 2, StartedAt: norm(t0), UpdatedAt: norm(t0.Add(time.Minute))}
	got, err = s.SyncCursor(ctx, paywarden.ObjectCharge)
	must(t, "SyncCursor", err)
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("SyncCursor after the second page (-want +got):\n%s", diff)
	}

	must(t, "SaveSyncCursor customer", s.SaveSyncCursor(ctx, &paywarden.SyncCursor{Type: paywarden.ObjectCustomer}))
	all, err := s.SyncCursors(ctx)
	must(t, "SyncCursors", err)
	var types []string
	for _, c := range all {
		types = append(types, c.Type)
	}
	if diff := cmp.Diff([]string{paywarden.ObjectCharge, paywarden.ObjectCustomer}, types); diff != "" {
		t.Errorf("SyncCursors types (-want +got):\n%s", diff)
	}
}

func testDeleteSyncCursors(t *testing.T, open opener) {
	s, _ := setup(t, open)
	ctx := context.Background()
	for _, typ := range []string{paywarden.ObjectCharge, paywarden.ObjectCustomer, paywarden.ObjectPayout} {
		must(t, "SaveSyncCursor", s.SaveSyncCursor(ctx, &paywarden.SyncCursor{Type: typ, LastID: "x_1"}))
	}
	n, err := s.DeleteSyncCursors(ctx, []string{paywarden.ObjectCharge, paywarden.ObjectRefund})
	must(t, "DeleteSyncCursors(charge, refund)", err)
	if n != 1 {
		t.Errorf("DeleteSyncCursors(charge, refund): got %d, want 1", n)
	}
	_, err = s.SyncCursor(ctx, paywarden.ObjectCharge)
	wantCode(t, "SyncCursor after its deletion", err, paywarden.ENOTFOUND)
	if _, err := s.SyncCursor(ctx, paywarden.ObjectCustomer); err != nil {
		t.Errorf("SyncCursor(customer), not deleted: %v", err)
	}
	n, err = s.DeleteSyncCursors(ctx, nil)
	must(t, "DeleteSyncCursors(all)", err)
	if n != 2 {
		t.Errorf("DeleteSyncCursors(all): got %d, want 2", n)
	}
	all, err := s.SyncCursors(ctx)
	must(t, "SyncCursors", err)
	if len(all) != 0 {
		t.Errorf("SyncCursors after deleting all: got %d, want 0", len(all))
	}
}
