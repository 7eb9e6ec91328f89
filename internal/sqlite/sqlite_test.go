package sqlite_test

import (
	"context"
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
