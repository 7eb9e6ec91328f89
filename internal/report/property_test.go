package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/report"
)

var (
	propFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	propTo   = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	propCurs = []string{"usd", "jpy", "krw", "eur"}
)

// randTime is a time from a month before the range to a month after it,
// so that some objects fall outside.
func randTime(r *rand.Rand) time.Time {
	span := propTo.Sub(propFrom) + 60*24*time.Hour
	return propFrom.Add(-30*24*time.Hour + time.Duration(r.Int64N(int64(span/time.Second)))*time.Second)
}

func inRange(t time.Time) bool { return !t.Before(propFrom) && t.Before(propTo) }

// totals is what a revenue report must add up to per currency, summed
// here straight from the generated objects.
type totals struct{ gross, refunded, disputed, fees, count int64 }

// genRevenue makes random charges, refunds and disputes, and balance
// transactions when ledger is set, and the totals each report must find.
func genRevenue(r *rand.Rand, ledger bool) ([]json.RawMessage, map[string]*totals) {
	want := map[string]*totals{}
	tot := func(c string) *totals {
		if want[c] == nil {
			want[c] = &totals{}
		}
		return want[c]
	}
	var objs []json.RawMessage
	add := func(v map[string]any) {
		b, _ := json.Marshal(v)
		objs = append(objs, b)
	}
	statuses := []string{"succeeded", "succeeded", "succeeded", "failed", "pending"}
	for i := range 40 + r.IntN(80) {
		cur, at := propCurs[r.IntN(len(propCurs))], randTime(r)
		amount := 50 + r.Int64N(100000)
		status, captured := statuses[r.IntN(len(statuses))], r.IntN(5) > 0
		add(map[string]any{"id": fmt.Sprintf("ch_%d", i), "object": "charge", "amount": amount, "amount_captured": amount,
			"captured": captured, "status": status, "currency": cur, "created": at.Unix()})
		if !ledger && inRange(at) && status == "succeeded" && captured {
			tot(cur).gross += amount
			tot(cur).count++
		}
		if r.IntN(3) == 0 {
			rat, rs := randTime(r), []string{"succeeded", "pending", "failed", "canceled"}[r.IntN(4)]
			ra := 1 + r.Int64N(amount)
			add(map[string]any{"id": fmt.Sprintf("re_%d", i), "object": "refund", "amount": ra, "currency": cur,
				"status": rs, "created": rat.Unix(), "charge": fmt.Sprintf("ch_%d", i)})
			if !ledger && inRange(rat) && (rs == "succeeded" || rs == "pending") {
				tot(cur).refunded += ra
			}
		}
		if r.IntN(6) == 0 {
			dat, ds := randTime(r), []string{"lost", "won", "needs_response", "under_review"}[r.IntN(4)]
			add(map[string]any{"id": fmt.Sprintf("dp_%d", i), "object": "dispute", "amount": amount, "currency": cur,
				"status": ds, "created": dat.Unix(), "charge": fmt.Sprintf("ch_%d", i)})
			if !ledger && inRange(dat) && ds == "lost" {
				tot(cur).disputed += amount
			}
		}
	}
	if !ledger {
		return objs, want
	}
	cats := []string{"charge", "charge", "charge", "refund", "refund_failure", "dispute", "dispute_reversal", "fee", "payout", "transfer"}
	for i := range 30 + r.IntN(100) {
		cur, at, cat := propCurs[r.IntN(len(propCurs))], randTime(r), cats[r.IntN(len(cats))]
		amount, fee := 1+r.Int64N(50000), r.Int64N(2000)
		switch cat {
		case "refund", "dispute", "fee", "payout", "transfer":
			amount = -amount
		}
		if cat == "dispute_reversal" {
			fee = -fee
		}
		add(map[string]any{"id": fmt.Sprintf("txn_%d", i), "object": "balance_transaction", "amount": amount, "fee": fee,
			"net": amount - fee, "currency": cur, "created": at.Unix(), "reporting_category": cat, "type": cat})
		if !inRange(at) {
			continue
		}
		t := tot(cur)
		switch cat {
		case "charge":
			t.gross += amount
			t.count++
			t.fees += fee
		case "refund", "refund_failure":
			t.refunded -= amount
			t.fees += fee
		case "dispute", "dispute_reversal":
			t.disputed -= amount
			t.fees += fee
		case "fee":
			t.fees += fee - amount
		}
	}
	return objs, want
}

func loadRaw(t *testing.T, st paywarden.Store, objs []json.RawMessage) {
	t.Helper()
	var ms []*paywarden.MirrorObject
	for _, o := range objs {
		ms = append(ms, mirrorObject(t, o, time.Time{}))
	}
	if _, err := st.UpsertObjects(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
}

// TestRevenueProperties: on random datasets, every row's net is
// gross − refunded − disputed − fees, and the rows of each currency add up
// to the totals summed straight from the objects, whatever the interval.
func TestRevenueProperties(t *testing.T) {
	for seed := range uint64(12) {
		ledger := seed%2 == 1
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			objs, want := genRevenue(r, ledger)
			st := openMigrated(t, stores[0].open)
			loadRaw(t, st, objs)
			for _, iv := range []report.Interval{report.Day, report.Week, report.Month} {
				rep := compute(t, report.Revenue, st, report.Options{From: propFrom, To: propTo, Interval: iv}).(*report.RevenueReport)
				if wantSrc := map[bool]string{true: report.SourceBalanceTransactions, false: report.SourceCharges}[ledger]; rep.Source != wantSrc {
					t.Fatalf("got source %s, want %s", rep.Source, wantSrc)
				}
				checkNet(t, rep)
				got := map[string]*totals{}
				for _, row := range rep.Rows {
					if got[row.Currency] == nil {
						got[row.Currency] = &totals{}
					}
					g := got[row.Currency]
					g.gross, g.refunded, g.disputed, g.count = g.gross+row.Gross, g.refunded+row.Refunded, g.disputed+row.Disputed, g.count+row.Count
					if row.Fees != nil {
						g.fees += *row.Fees
					}
				}
				for c, w := range want {
					if g := got[c]; g == nil || *g != *w {
						t.Errorf("%s %s: got totals %+v, want %+v", iv, c, g, w)
					}
				}
			}
		})
	}
}

// genSubscriptions makes random subscriptions, each with a random history
// of states: quantity and price changes, trials, past_due, cancellation.
func genSubscriptions(r *rand.Rand) []fixtureObject {
	var out []fixtureObject
	intervals := []string{"day", "week", "month", "year"}
	for i := range 20 + r.IntN(40) {
		id, cus := fmt.Sprintf("sub_%d", i), fmt.Sprintf("cus_%d", r.IntN(15))
		cur := propCurs[r.IntN(len(propCurs))]
		created := randTime(r).Add(-60 * 24 * time.Hour)
		at := created
		status := []string{"active", "trialing", "incomplete"}[r.IntN(3)]
		for range 1 + r.IntN(5) {
			qty := 1 + r.Int64N(5)
			unit := 100 + r.Int64N(20000)
			iv := intervals[r.IntN(len(intervals))]
			item := map[string]any{"id": "si_" + id, "quantity": qty, "price": map[string]any{"id": "price_" + iv, "currency": cur,
				"unit_amount": unit, "recurring": map[string]any{"interval": iv, "interval_count": 1 + r.IntN(3), "usage_type": "licensed"}}}
			s := map[string]any{"id": id, "object": "subscription", "customer": cus, "currency": cur, "status": status,
				"created": created.Unix(), "items": map[string]any{"data": []any{item}}}
			if r.IntN(4) == 0 {
				s["discounts"] = []any{map[string]any{"id": "di_" + id, "start": created.Unix(),
					"source": map[string]any{"coupon": map[string]any{"percent_off": r.IntN(100), "duration": "forever"}}}}
			}
			if status == "canceled" {
				s["ended_at"] = at.Unix()
			}
			b, _ := json.Marshal(s)
			out = append(out, fixtureObject{b, at})
			if status == "canceled" {
				break
			}
			at = at.Add(time.Duration(1+r.Int64N(40*24)) * time.Hour)
			status = []string{"active", "active", "past_due", "unpaid", "canceled", "trialing"}[r.IntN(6)]
		}
	}
	return out
}

type fixtureObject struct {
	data    json.RawMessage
	version time.Time
}

// TestSubscriptionProperties: on random histories, start + movements = end
// in every row, each period starts where the last ended, movements are
// never negative, and the MRR at each boundary is the same whatever the
// interval (and on both stores).
func TestSubscriptionProperties(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			objs := genSubscriptions(rand.New(rand.NewPCG(seed, 11)))
			var first map[string][]int64
			for si, s := range stores {
				if si > 0 && seed >= 2 {
					break // a few datasets suffice to compare the stores
				}
				st := openMigrated(t, s.open)
				// Oldest version first, as events would be applied.
				ordered := append([]fixtureObject(nil), objs...)
				sortByVersion(ordered)
				var ms []*paywarden.MirrorObject
				for _, o := range ordered {
					ms = append(ms, mirrorObject(t, o.data, o.version))
				}
				if _, err := st.UpsertObjects(context.Background(), ms); err != nil {
					t.Fatal(err)
				}
				levels := map[string][]int64{} // interval → MRR at each month boundary, all currencies summed per currency key
				for _, iv := range []report.Interval{report.Day, report.Week, report.Month} {
					rep := compute(t, report.Subscriptions, st, report.Options{From: propFrom, To: propTo, Interval: iv}).(*report.SubscriptionsReport)
					checkMovements(t, rep)
					for _, row := range rep.Rows {
						p, _ := time.Parse(time.DateOnly, row.Period)
						if p.Day() == 1 || p.Equal(propFrom) {
							key := fmt.Sprintf("%s %s", row.Currency, p.Format("2006-01"))
							levels[key] = append(levels[key], row.StartMRR)
						}
					}
				}
				var sum int64
				for k, v := range levels {
					sum += v[0]
					for _, x := range v[1:] {
						if x != v[0] {
							t.Errorf("%s: MRR at the month's start differs by interval: %v", k, v)
						}
					}
				}
				if sum == 0 {
					t.Fatal("the generated subscriptions have no MRR: the test would prove nothing")
				}
				if first == nil {
					first = levels
				} else if diff := cmp.Diff(first, levels); diff != "" {
					t.Errorf("%s differs from %s (-first +this):\n%s", s.name, stores[0].name, diff)
				}
			}
		})
	}
}

func sortByVersion(os []fixtureObject) {
	for i := 1; i < len(os); i++ {
		for j := i; j > 0 && os[j].version.Before(os[j-1].version); j-- {
			os[j], os[j-1] = os[j-1], os[j]
		}
	}
}
