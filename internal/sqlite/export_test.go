package sqlite

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
)

// OpenTest opens a new, unmigrated database in a temporary directory of t
// and closes it when t ends. It lives in a _test.go file so that the
// binary never links package testing; both this package's tests and
// package sqlite_test use it.
func OpenTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "paywarden.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}
