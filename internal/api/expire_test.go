package api

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
)

// deletions is a real store that reports each DeleteExpiredIdempotency.
type deletions struct {
	*sqlite.DB
	n chan int
}

func (d deletions) DeleteExpiredIdempotency(ctx context.Context, now time.Time) (int, error) {
	n, err := d.DB.DeleteExpiredIdempotency(ctx, now)
	d.n <- n
	return n, err
}

// TestExpireIdempotencyAtStart: a stored answer (which may hold a
// client_secret) past its window is deleted when the job starts, not an
// interval later, so restarts cannot keep it alive.
func TestExpireIdempotencyAtStart(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pw.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-48 * time.Hour)
	_, tok, err := paywarden.NewToken("expire-test", []string{paywarden.ScopePaymentsWrite})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	rec := &paywarden.IdempotencyRecord{TokenID: tok.ID, Key: "k1", RequestHash: bytes.Repeat([]byte{1}, 32),
		LockedUntil: past.Add(time.Minute), CreatedAt: past, ExpiresAt: past.Add(24 * time.Hour)}
	if _, err := db.BeginIdempotent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishIdempotent(ctx, tok.ID, "k1", 201, []byte(`{"client_secret":"redacted-in-test"}`)); err != nil {
		t.Fatal(err)
	}

	st := deletions{DB: db, n: make(chan int, 1)}
	jobCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { ExpireIdempotency(jobCtx, slog.New(slog.DiscardHandler), st, time.Hour); close(done) }()
	if n := <-st.n; n != 1 {
		t.Errorf("the first run deleted %d records, want the 1 expired", n)
	}
	stop()
	<-done
}
