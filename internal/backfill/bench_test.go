package backfill

import (
	"context"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// BenchmarkSync measures paywarden's own cost of a sync, against the
// in-process fake (no network latency, no rate limit): 10,000 customers
// listed in pages of 100 into an empty mirror ("new"), then listed again
// with Restart and found unchanged ("unchanged"). With Stripe the pages'
// latency and the rate limit dominate. Run with
//
//	go test -run '^$' -bench BenchmarkSync -benchtime 1x ./internal/backfill
func BenchmarkSync(b *testing.B) {
	for _, store := range []struct {
		name string
		open func(testing.TB) paywarden.Store
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		b.Run(store.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st := store.open(b)
				f := newFakeStripe(b)
				f.add(paywarden.ObjectCustomer, "cus", 10000)
				c := f.client(b, nil)
				b.StartTimer()
				for _, pass := range []string{"new", "unchanged"} {
					start := time.Now()
					res, err := Run(context.Background(), c, st, Options{Types: []string{paywarden.ObjectCustomer}, Restart: true})
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(res.Types[0].Listed)/time.Since(start).Seconds(), "objects/s-"+pass)
				}
			}
		})
	}
}
