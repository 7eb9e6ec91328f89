package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
	"github.com/paywarden/paywarden/internal/report"
	"github.com/paywarden/paywarden/internal/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixture is a hand-computed dataset: Stripe objects as Stripe shapes
// them, the options of the report, and the figures the comment derives.
type fixture struct {
	Comment []string `json:"comment"`
	Options struct {
		From, To, Interval, Currency string
	} `json:"options"`
	Objects []struct {
		Version string          `json:"version"` // when the mirror wrote this state; default: its created time
		Object  json.RawMessage `json:"object"`
	} `json:"objects"`
	Expect map[string]json.RawMessage `json:"expect"`
}

func readFixture(t *testing.T, name string) *fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &f
}

func (f *fixture) options(t *testing.T) report.Options {
	t.Helper()
	from, err1 := report.ParseTime(f.Options.From)
	to, err2 := report.ParseTime(f.Options.To)
	iv, err3 := report.ParseInterval(f.Options.Interval)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return report.Options{From: from, To: to, Interval: iv, Currency: f.Options.Currency}
}

// mirrorObject makes the mirror's record of one Stripe object, as the
// event processor would from a fetched object.
func mirrorObject(t testing.TB, raw json.RawMessage, version time.Time) *paywarden.MirrorObject {
	t.Helper()
	var s struct {
		ID, Object, Status, Currency string
		Created                      int64
		Amount                       int64
		Livemode                     bool
		Customer                     json.RawMessage
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	var cus string
	json.Unmarshal(s.Customer, &cus)
	created := time.Unix(s.Created, 0).UTC()
	if version.IsZero() {
		version = created
	}
	return &paywarden.MirrorObject{Type: s.Object, ID: s.ID, Livemode: s.Livemode, Customer: cus, Status: s.Status,
		Currency: s.Currency, Amount: s.Amount, Created: created, Data: raw, Version: version, Fetched: true, EventID: "evt_" + s.ID}
}

// load writes the fixture's objects into st in order, as the events that
// carried them would have been applied, in one transaction: the stores
// write a batch in order, so the guard and the history see each in turn.
func (f *fixture) load(t *testing.T, st paywarden.Store) {
	t.Helper()
	var objs []*paywarden.MirrorObject
	for _, o := range f.Objects {
		var v time.Time
		if o.Version != "" {
			var err error
			if v, err = time.Parse(time.RFC3339, o.Version); err != nil {
				t.Fatal(err)
			}
		}
		objs = append(objs, mirrorObject(t, o.Object, v))
	}
	written, err := st.UpsertObjects(context.Background(), objs)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range written {
		if !w {
			t.Fatalf("fixture object %s %s was not written: versions out of order", objs[i].Type, objs[i].ID)
		}
	}
}

// stores are the real stores a test runs on: a SQLite file and, when
// PAYWARDEN_TEST_POSTGRES_URL is set, a PostgreSQL schema.
var stores = []struct {
	name string
	open func(t *testing.T) paywarden.Store
}{
	{"sqlite", func(t *testing.T) paywarden.Store { return openSQLite(t) }},
	{"postgres", func(t *testing.T) paywarden.Store { return postgrestest.Open(t) }},
}

// openSQLite opens a new, unmigrated SQLite file in t's temporary
// directory and closes it when t ends.
func openSQLite(t testing.TB) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "paywarden.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openMigrated(t *testing.T, open func(t *testing.T) paywarden.Store) paywarden.Store {
	t.Helper()
	st := open(t)
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func compute(t *testing.T, kind string, st report.Source, o report.Options) report.Report {
	t.Helper()
	var (
		r   report.Report
		err error
	)
	ctx := context.Background()
	switch kind {
	case report.Revenue:
		r, err = report.ComputeRevenue(ctx, st, o)
	case report.Subscriptions:
		r, err = report.ComputeSubscriptions(ctx, st, o)
	case report.Payouts:
		r, err = report.ComputePayouts(ctx, st, o)
	}
	if err != nil {
		t.Fatalf("computing the %s report: %v", kind, err)
	}
	return r
}

// TestFixtures computes each report from its hand-computed dataset on
// both stores and checks the figures the fixture's comment derives, then
// the whole output in each format against the golden files.
func TestFixtures(t *testing.T) {
	for _, name := range []string{"revenue_charges", "revenue_ledger", "subscriptions", "payouts"} {
		kind, _, _ := strings.Cut(name, "_")
		for _, s := range stores {
			t.Run(name+"/"+s.name, func(t *testing.T) {
				f := readFixture(t, name)
				st := openMigrated(t, s.open)
				f.load(t, st)
				r := compute(t, kind, st, f.options(t))
				checkExpect(t, r, f.Expect)
				if sr, ok := r.(*report.SubscriptionsReport); ok {
					checkMovements(t, sr)
				}
				if rr, ok := r.(*report.RevenueReport); ok {
					checkNet(t, rr)
				}
				for _, format := range []string{report.FormatJSON, report.FormatCSV, report.FormatText} {
					var b bytes.Buffer
					if err := report.Write(&b, r, format); err != nil {
						t.Fatal(err)
					}
					golden(t, name+"."+format, b.Bytes())
				}
			})
		}
	}
}

// checkExpect compares each field the fixture expects with the report's.
func checkExpect(t *testing.T, r report.Report, expect map[string]json.RawMessage) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(expect) == 0 {
		t.Fatal("the fixture expects nothing")
	}
	for k, raw := range expect {
		var want any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got[k]); diff != "" {
			t.Errorf("%s differs from the hand-computed figures (-want +got):\n%s", k, diff)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// checkNet checks net = gross − refunded − disputed − fees in every row.
func checkNet(t *testing.T, r *report.RevenueReport) {
	t.Helper()
	for _, row := range r.Rows {
		var fees int64
		if row.Fees != nil {
			fees = *row.Fees
		} else if r.FeesKnown {
			t.Errorf("%s %s: fees are null though the report says they are known", row.Period, row.Currency)
		}
		if want := row.Gross - row.Refunded - row.Disputed - fees; row.Net != want {
			t.Errorf("%s %s: got net %d, want %d - %d - %d - %d = %d",
				row.Period, row.Currency, row.Net, row.Gross, row.Refunded, row.Disputed, fees, want)
		}
	}
}

// checkMovements checks start + movements = end in every row, and that
// each period starts where the one before it ended.
func checkMovements(t *testing.T, r *report.SubscriptionsReport) {
	t.Helper()
	end := map[string]int64{}
	for _, row := range r.Rows {
		if got := row.StartMRR + row.New + row.Expansion + row.Reactivation - row.Contraction - row.Churned; got != row.EndMRR {
			t.Errorf("%s %s: start %d + new %d + expansion %d + reactivation %d - contraction %d - churned %d = %d, want end %d",
				row.Period, row.Currency, row.StartMRR, row.New, row.Expansion, row.Reactivation, row.Contraction, row.Churned, got, row.EndMRR)
		}
		for _, v := range []int64{row.New, row.Expansion, row.Reactivation, row.Contraction, row.Churned} {
			if v < 0 {
				t.Errorf("%s %s: a movement is negative: %+v", row.Period, row.Currency, row)
			}
		}
		if prev, ok := end[row.Currency]; ok && prev != row.StartMRR {
			t.Errorf("%s %s: starts at %d, but the period before ended at %d", row.Period, row.Currency, row.StartMRR, prev)
		}
		end[row.Currency] = row.EndMRR
	}
}
