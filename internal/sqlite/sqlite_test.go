package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunConformanceTests(t, func(t *testing.T) paywarden.Store {
		return sqlite.OpenTest(t)
	})
}

// TestReopen checks that data and migrations survive closing the database.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := dir + "/p.db"
	db, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertEvents(ctx, []*paywarden.Event{{ID: "evt_1"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.PendingMigrations(ctx); err != nil || n != 0 {
		t.Errorf("PendingMigrations after reopening: got %d, %v; want 0, nil", n, err)
	}
	if _, err := db.Event(ctx, "evt_1"); err != nil {
		t.Errorf("Event after reopening: %v", err)
	}
}

func TestOpenRefusesMemory(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), ":memory:", nil); paywarden.ErrorCode(err) != paywarden.EINVALID {
		t.Errorf("Open(:memory:): got %v, want code %q", err, paywarden.EINVALID)
	}
}

// TestFilesPrivate: the database and its WAL and shared-memory files are
// created readable by their owner only, in a directory of 0700 when Open
// makes it, whatever the umask; CheckPrivate refuses a file others can read.
func TestFilesPrivate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "pw.db")
	db, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %04o, want no group or other bits", filepath.Base(name), perm)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, %v; want mode 0700", fi.Mode().Perm(), err)
	}
	if err := sqlite.CheckPrivate(path); err != nil {
		t.Errorf("CheckPrivate on a new file: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.CheckPrivate(path); err == nil {
		t.Error("CheckPrivate on a 0644 file: no error")
	}
}
