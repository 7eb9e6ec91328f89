package storetest

// The conformance tests of Migrate and Ping: the schema and the connection.

import (
	"context"
	"testing"
)

func testMigrate(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	pending, err := s.PendingMigrations(ctx)
	must(t, "PendingMigrations", err)
	if pending == 0 {
		t.Fatalf("PendingMigrations on a new store = 0, want > 0")
	}
	n, err := s.Migrate(ctx)
	must(t, "Migrate", err)
	if n != pending {
		t.Errorf("Migrate applied %d, want %d (the pending count)", n, pending)
	}
	n, err = s.Migrate(ctx)
	must(t, "second Migrate", err)
	if n != 0 {
		t.Errorf("second Migrate applied %d, want 0", n)
	}
	pending, err = s.PendingMigrations(ctx)
	must(t, "PendingMigrations", err)
	if pending != 0 {
		t.Errorf("PendingMigrations after Migrate = %d, want 0", pending)
	}
}

func testPing(t *testing.T, open opener) {
	s, _ := setup(t, open)
	must(t, "Ping", s.Ping(context.Background()))
}
