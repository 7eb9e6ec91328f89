package report_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/report"
)

// BenchmarkSubscriptionsReport: 5,000 subscriptions with three states each
// on a SQLite file, a year by month (13 boundaries read from the history).
func BenchmarkSubscriptionsReport(b *testing.B) {
	ctx := context.Background()
	st := openSQLite(b)
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var objs []*paywarden.MirrorObject
	for i := range 5000 {
		created := start.Add(time.Duration(i) * 90 * time.Minute)
		for s, qty := range []int{1, 2, 3} {
			v := created.Add(time.Duration(s) * 40 * 24 * time.Hour)
			data := fmt.Sprintf(`{"id":"sub_%05d","object":"subscription","customer":"cus_%d","currency":"usd","status":"active","created":%d,`+
				`"items":{"data":[{"id":"si_%d","quantity":%d,"price":{"id":"price_1","currency":"usd","unit_amount":1500,"recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}}]}}`,
				i, i%3000, created.Unix(), i, qty)
			objs = append(objs, mirrorObject(b, []byte(data), v))
		}
	}
	// States in version order, as events would apply them.
	sortObjects(objs)
	for i := 0; i < len(objs); i += 1000 {
		if _, err := st.UpsertObjects(ctx, objs[i:min(i+1000, len(objs))]); err != nil {
			b.Fatal(err)
		}
	}
	o := report.Options{From: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Interval: report.Month}
	b.ResetTimer()
	for b.Loop() {
		r, err := report.ComputeSubscriptions(ctx, st, o)
		if err != nil {
			b.Fatal(err)
		}
		if r.MRR["usd"] == 0 {
			b.Fatal("no MRR")
		}
	}
}

func sortObjects(os []*paywarden.MirrorObject) {
	for i := 1; i < len(os); i++ {
		for j := i; j > 0 && os[j].Version.Before(os[j-1].Version); j-- {
			os[j], os[j-1] = os[j-1], os[j]
		}
	}
}
