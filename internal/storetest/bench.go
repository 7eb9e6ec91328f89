package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/groupcommit"
)

// BenchmarkInsertEventsGroupCommit measures webhook ingestion as the
// receiver does it: with b.SetParallelism(p) for p in 1, 16 and 64,
// goroutines each submit one ~2.5 KB event at a time to a
// groupcommit.Batcher that flushes into InsertEvents. ns/op is per event;
// batch/flush is the mean batch size. open returns a new, unmigrated store.
func BenchmarkInsertEventsGroupCommit(b *testing.B, open func(b *testing.B) paywarden.Store) {
	payload := bytes.Repeat([]byte("x"), 2500)
	for _, p := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("parallelism=%d", p), func(b *testing.B) {
			ctx := context.Background()
			s := open(b)
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			var flushes atomic.Int64
			batcher := groupcommit.New(func(ctx context.Context, es []*paywarden.Event) ([]bool, error) {
				flushes.Add(1)
				return s.InsertEvents(ctx, es)
			}, groupcommit.Options{MaxBatch: 256, QueueSize: 4096})
			defer batcher.Close()

			var seq atomic.Int64
			now := time.Now()
			b.SetParallelism(p)
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("evt_%012d", seq.Add(1))
					e := &paywarden.Event{
						ID: id, Type: "charge.succeeded", Created: now, APIVersion: "2025-01-27.acacia",
						ObjectID: "ch_" + id, ObjectType: "charge", Endpoint: "default", Payload: payload,
						ReceivedAt: now,
					}
					created, err := batcher.Submit(ctx, e)
					if err != nil {
						b.Error(err)
						return
					}
					if !created {
						b.Errorf("%s: not created", id)
						return
					}
				}
			})
			b.StopTimer()
			if n := flushes.Load(); n > 0 {
				b.ReportMetric(float64(seq.Load())/float64(n), "batch/flush")
			}
		})
	}
}
