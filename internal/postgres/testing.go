package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestURLEnv names the environment variable that points tests at a
// PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test.
const TestURLEnv = "PAYWARDEN_TEST_POSTGRES_URL"

// TestURL returns the URL of a new, empty schema for t on the server named
// by PAYWARDEN_TEST_POSTGRES_URL, skipping t when it is unset. The schema
// is dropped when t ends, so tests of several packages may share the
// server at the same time. Every DB opened with the URL uses the schema.
func TestURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(TestURLEnv)
	if base == "" {
		t.Skipf("%s is not set", TestURLEnv)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", TestURLEnv)
	}
	schema := "pwtest_" + strings.ToLower(rand.Text()[:16])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", TestURLEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE SCHEMA %s", pgx.Identifier{schema}.Sanitize())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, fmt.Sprintf("DROP SCHEMA %s CASCADE", pgx.Identifier{schema}.Sanitize())); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenTest opens a new, unmigrated database in its own schema (see TestURL)
// and closes it when t ends. It skips t when PAYWARDEN_TEST_POSTGRES_URL is
// unset.
func OpenTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), TestURL(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
