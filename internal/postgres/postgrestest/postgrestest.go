// Package postgrestest gives tests of any package a PostgreSQL database of
// their own: a fresh schema on the server named by
// PAYWARDEN_TEST_POSTGRES_URL, dropped when the test ends. Only tests
// import it, so the binary never links package testing.
package postgrestest

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
	"github.com/paywarden/paywarden/internal/postgres"
)

// URLEnv names the environment variable that points tests at a
// PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test.
const URLEnv = "PAYWARDEN_TEST_POSTGRES_URL"

// URL returns the URL of a new, empty schema for t on the server named
// by PAYWARDEN_TEST_POSTGRES_URL, skipping t when it is unset. The schema
// is dropped when t ends, so tests of several packages may share the
// server at the same time. Every DB opened with the URL uses the schema.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(URLEnv)
	if base == "" {
		t.Skipf("%s is not set", URLEnv)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", URLEnv)
	}
	schema := "pwtest_" + strings.ToLower(rand.Text()[:16])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", URLEnv, err)
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

// Open opens a new, unmigrated database in its own schema (see URL)
// and closes it when t ends. It skips t when PAYWARDEN_TEST_POSTGRES_URL is
// unset.
func Open(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), URL(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
