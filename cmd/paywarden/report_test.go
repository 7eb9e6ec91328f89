package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/sqlite"
)

// reportDB makes a migrated SQLite file holding the objects of one of the
// report package's hand-computed datasets, plus extra.
func reportDB(t *testing.T, fixture string, extra ...*paywarden.MirrorObject) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paywarden.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "report", "testdata", fixture+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Objects []struct{ Object json.RawMessage }
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	objs := extra
	for _, o := range f.Objects {
		var s struct {
			ID, Object string
			Created    int64
		}
		json.Unmarshal(o.Object, &s)
		c := time.Unix(s.Created, 0).UTC()
		objs = append(objs, &paywarden.MirrorObject{Type: s.Object, ID: s.ID, Created: c, Version: c, Fetched: true, Data: o.Object})
	}
	if _, err := st.UpsertObjects(ctx, objs); err != nil {
		t.Fatal(err)
	}
	return path
}

// runReportCmd runs `paywarden report ARGS` in production with no Stripe
// key or webhook secret in the environment.
func runReportCmd(t *testing.T, db string, args ...string) (string, string, int) {
	t.Helper()
	env := map[string]string{"PAYWARDEN_DATABASE_URL": "sqlite:" + db, "PAYWARDEN_ENV": "production"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"report"}, args...), getenvOf(env), strings.NewReader(""), &stdout, &stderr)
	code := report(&stderr, err)
	return stdout.String(), stderr.String(), code
}

func TestReportCommand(t *testing.T) {
	db := reportDB(t, "revenue_ledger")
	out, errOut, code := runReportCmd(t, db, "revenue", "--from", "2026-01-01", "--to", "2026-03-01", "--currency", "USD", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"period", "currency", "gross", "refunded", "disputed", "fees", "net", "count", "source"},
		{"2026-01-01", "usd", "20087", "2000", "0", "703", "17384", "4", "balance_transactions"},
		{"2026-02-01", "usd", "13000", "0", "4000", "2437", "6563", "2", "balance_transactions"},
	}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("csv differs from the hand-computed figures (-want +got):\n%s", diff)
	}

	out, errOut, code = runReportCmd(t, db, "revenue", "--from", "2026-01-01", "--to", "2026-03-01", "--format", "json")
	var rep struct {
		Source    string
		FeesKnown bool `json:"fees_known"`
		Rows      []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("json: exit %d, %v: %s%s", code, err, out, errOut)
	}
	if rep.Source != "balance_transactions" || !rep.FeesKnown || len(rep.Rows) != 4 {
		t.Errorf("json: got source %q, fees known %v, %d rows; want balance_transactions, true, 4", rep.Source, rep.FeesKnown, len(rep.Rows))
	}

	out, _, code = runReportCmd(t, db, "revenue", "--from", "2026-01-01", "--to", "2026-03-01")
	if code != 0 || !strings.Contains(out, "Source: balance_transactions") || !strings.Contains(out, "17384") {
		t.Errorf("text: exit %d, want the source named and the January usd net:\n%s", code, out)
	}
}

// Text output escapes what the mirror holds, so Stripe data cannot send
// escape sequences to the operator's terminal.
func TestReportTextEscapes(t *testing.T) {
	evil := &paywarden.MirrorObject{Type: paywarden.ObjectPayout, ID: "po_evil", Created: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC),
		Version: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), Fetched: true,
		Data: []byte(`{"id":"po_evil","object":"payout","amount":1,"currency":"usd","status":"paid\u001b[2J\nforged line","arrival_date":1767484800}`)}
	db := reportDB(t, "payouts", evil)
	out, errOut, code := runReportCmd(t, db, "payouts", "--from", "2026-01-01", "--to", "2026-02-01", "--interval", "week")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.ContainsAny(out, "\x1b") || strings.Contains(out, "\nforged line") {
		t.Errorf("text output holds a raw control character:\n%q", out)
	}
	if !strings.Contains(out, `paid\x1b[2J\nforged line`) {
		t.Errorf("text output lacks the escaped status:\n%s", out)
	}
	if !strings.Contains(out, "in_transit") || !strings.Contains(out, "120000") {
		t.Errorf("text output lacks the fixture's rows:\n%s", out)
	}
}

func TestReportUsage(t *testing.T) {
	db := reportDB(t, "payouts")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "want a subcommand: revenue, subscriptions or payouts"},
		{[]string{"profit"}, 2, `unknown subcommand "profit"`},
		{[]string{"revenue", "--interval", "year"}, 2, "--interval: interval must be day, week or month"},
		{[]string{"revenue", "--format", "xml"}, 2, "--format must be text, csv or json"},
		{[]string{"revenue", "--at", "2026-01-01"}, 2, "unknown flag --at; see 'paywarden report revenue --help'"},
		{[]string{"revenue", "--from", "2026-02-01", "--to", "2026-01-01"}, 2, "--from: the start of a report must be before its end"},
		{[]string{"subscriptions", "--at", "2026-01-01", "--to", "2026-01-01"}, 2, "--at: give at or to, not both"},
		{[]string{"payouts", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--help"}, 0, ""},
		{[]string{"revenue", "--help"}, 0, ""},
	}
	for _, tt := range tests {
		_, errOut, code := runReportCmd(t, db, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("report %v: got exit %d, %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
	// An unmigrated database is refused with advice, not migrated.
	empty := filepath.Join(t.TempDir(), "empty.db")
	_, errOut, code := runReportCmd(t, empty, "revenue")
	if code != 2 || !strings.Contains(errOut, "paywarden migrate") {
		t.Errorf("unmigrated: got exit %d, %q; want 2 and advice to migrate", code, errOut)
	}
}
