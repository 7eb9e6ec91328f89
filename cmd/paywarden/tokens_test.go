package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
)

// runTokensCmd runs `paywarden tokens ARGS` against the database at db and
// returns stdout, stderr and the exit code.
func runTokensCmd(t *testing.T, db, envName string, args ...string) (string, string, int) {
	t.Helper()
	env := map[string]string{"PAYWARDEN_DATABASE_URL": "sqlite:" + db, "PAYWARDEN_ENV": envName}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"tokens"}, args...), func(k string) string { return env[k] },
		strings.NewReader(""), &stdout, &stderr)
	code := report(&stderr, err)
	return stdout.String(), stderr.String(), code
}

func TestTokensCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "paywarden.db")

	out, errOut, code := runTokensCmd(t, db, "development", "create", "--name", "billing", "--scope", "payments:write,payments:read")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	token := strings.TrimSpace(out)
	if !strings.HasPrefix(token, "pwk_") || len(token) < 4+43 {
		t.Fatalf("create: got %q, want a pwk_ token of at least 32 random bytes", out)
	}
	if strings.Contains(errOut, token) {
		t.Error("create: the token is printed twice")
	}

	// Only the hash is stored.
	st, err := sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.TokenByHash(context.Background(), paywarden.HashToken(token))
	st.Close()
	if err != nil {
		t.Fatalf("the token's hash is not stored: %v", err)
	}
	if rec.Name != "billing" || strings.Join(rec.Scopes, ",") != "payments:read,payments:write" {
		t.Errorf("stored %q %v", rec.Name, rec.Scopes)
	}

	out, errOut, code = runTokensCmd(t, db, "development", "list")
	if code != 0 || !strings.Contains(out, rec.ID) || !strings.Contains(out, "billing") || !strings.Contains(out, "never") {
		t.Errorf("list: exit %d: %s%s", code, out, errOut)
	}
	if strings.Contains(out, token) || strings.Contains(out, token[4:20]) {
		t.Error("list prints the token")
	}

	out, _, code = runTokensCmd(t, db, "development", "list", "--format", "json")
	var views []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &views) != nil || len(views) != 1 || views[0]["id"] != rec.ID {
		t.Errorf("list --format json: exit %d: %s", code, out)
	}
	if strings.Contains(out, token[4:20]) || strings.Contains(out, "hash") {
		t.Error("list --format json prints the token or its hash")
	}

	out, errOut, code = runTokensCmd(t, db, "development", "revoke", rec.ID)
	if code != 0 || !strings.Contains(out, rec.ID) {
		t.Errorf("revoke: exit %d: %s%s", code, out, errOut)
	}
	out, _, _ = runTokensCmd(t, db, "development", "list")
	if !strings.Contains(out, "revoked") {
		t.Errorf("list after revoke: %s", out)
	}
	if _, errOut, code := runTokensCmd(t, db, "development", "revoke", "tok_0000"); code != 1 || !strings.Contains(errOut, "no token") {
		t.Errorf("revoke unknown: exit %d: %s", code, errOut)
	}
	// Revoking by the token itself is refused without echoing it.
	if _, errOut, code := runTokensCmd(t, db, "development", "revoke", token); code != 2 || strings.Contains(errOut, token) {
		t.Errorf("revoke by token: exit %d: %s", code, errOut)
	}
}

func TestTokensUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "paywarden.db")
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"create"},
		{"create", "--name", "x"},
		{"create", "--name", "x", "--scope", "payments:everything"},
		{"create", "--name", "x", "--scope", "admin", "extra"},
		{"list", "--format", "xml"},
		{"revoke"},
	} {
		if _, errOut, code := runTokensCmd(t, db, "development", args...); code != 2 || errOut == "" {
			t.Errorf("tokens %v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
	if out, _, code := runTokensCmd(t, db, "development", "--help"); code != 0 || !strings.Contains(out, "tokens create") {
		t.Errorf("tokens --help: exit %d: %s", code, out)
	}
	if out, _, code := runTokensCmd(t, db, "development", "create", "--help"); code != 0 || !strings.Contains(out, "-scope") {
		t.Errorf("tokens create --help: exit %d: %s", code, out)
	}
}

// Outside development a database with pending migrations is refused.
func TestTokensPendingMigrations(t *testing.T) {
	db := filepath.Join(t.TempDir(), "paywarden.db")
	_, errOut, code := runTokensCmd(t, db, "production", "list")
	if code != 2 || !strings.Contains(errOut, "migrate") {
		t.Errorf("got exit %d: %s; want 2 and advice to migrate", code, errOut)
	}
}
