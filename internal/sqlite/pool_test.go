package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// TestReadsDoNotWaitForWriter holds the single writer connection in an open
// transaction and reads meanwhile: reads use their own connections, see
// only committed data, and do not queue behind the writer (if they did,
// this test would hang).
func TestReadsDoNotWaitForWriter(t *testing.T) {
	ctx := context.Background()
	db := OpenTest(t)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertEvents(ctx, []*paywarden.Event{{ID: "evt_committed"}}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := insertEvents(ctx, tx, []*paywarden.Event{{ID: "evt_uncommitted"}}, db.now()); err != nil {
		t.Fatal(err)
	}

	if _, err := db.Event(ctx, "evt_committed"); err != nil {
		t.Errorf("Event(evt_committed) during a write: %v", err)
	}
	if _, err := db.Event(ctx, "evt_uncommitted"); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("Event(evt_uncommitted) during the write: got %v, want code %q", err, paywarden.ENOTFOUND)
	}
	if counts, err := db.CountEvents(ctx); err != nil || counts[paywarden.EventPending] != 1 {
		t.Errorf("CountEvents during a write: got %v, %v; want 1 pending", counts, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Event(ctx, "evt_uncommitted"); err != nil {
		t.Errorf("Event(evt_uncommitted) after commit: %v", err)
	}
}

// TestReadPoolIsReadOnly checks that a write sent to the read pool by
// mistake fails instead of going around the single writer.
func TestReadPoolIsReadOnly(t *testing.T) {
	ctx := context.Background()
	db := OpenTest(t)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.read.ExecContext(ctx, `DELETE FROM events`); err == nil {
		t.Error("DELETE on the read pool: got nil error, want a read-only error")
	}
}

// TestPragmas checks the settings the package promises.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	db := OpenTest(t)
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := db.write.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s: got %s, want %s", tt.pragma, got, tt.want)
		}
	}
	if n := db.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer MaxOpenConnections: got %d, want 1", n)
	}
}

// TestIdempotencyLeavesWritesSynced checks that the unsynced commits of
// idempotency records never leave the writer unsynced for events.
func TestIdempotencyLeavesWritesSynced(t *testing.T) {
	ctx := context.Background()
	db := OpenTest(t)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rec := &paywarden.IdempotencyRecord{TokenID: "tok_1", Key: "k", RequestHash: []byte("h"),
		LockedUntil: now.Add(time.Minute), ExpiresAt: now.Add(time.Hour)}
	if _, err := db.BeginIdempotent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishIdempotent(ctx, "tok_1", "k", 201, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishIdempotent(ctx, "tok_1", "missing", 201, nil); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("finish of a missing record: got %v, want not_found", err)
	}
	var got string
	if err := db.write.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "2" {
		t.Errorf("PRAGMA synchronous after idempotency writes: got %s, want 2 (FULL)", got)
	}
}
