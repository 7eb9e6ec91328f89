package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// TestEventsTextEscapesControlCharacters: an event type holding terminal
// escape sequences (stored before paywarden refused them, or by another
// writer) is printed escaped by events list and show, never raw
// (issue 13, finding 5).
func TestEventsTextEscapesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pw.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := st.InsertEvents(ctx, []*paywarden.Event{{ID: "evt_esc", Type: "customer.updated", Created: now,
		APIVersion: stripeapi.APIVersion, ObjectID: "cus_1", ObjectType: "customer", Endpoint: "default",
		Payload: []byte(`{"id":"evt_esc"}`), Status: paywarden.EventFailed, LastError: "x", ReceivedAt: now, NextAttemptAt: now}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// The domain now refuses such a type on insert: write it as an older
	// version or another writer could have.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	evil := "\x1b]0;owned\x07\x1b[2Jcustomer.updated"
	if _, err := raw.Exec(`UPDATE events SET type = ?, last_error = ? WHERE id = 'evt_esc'`, evil, "boom\x1b[31m"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	env := devEnv(dir, "http://127.0.0.1:1")
	env["PAYWARDEN_DATABASE_URL"] = "sqlite:" + path
	for _, args := range [][]string{{"events", "list"}, {"events", "show", "evt_esc"}} {
		out, errOut, code, _ := runCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%v: printed a raw control character:\n%q", args, out)
		}
		if !strings.Contains(out, `\x1b]0;owned\a\x1b[2Jcustomer.updated`) {
			t.Errorf("%v: the escaped type is missing:\n%s", args, out)
		}
	}
}
