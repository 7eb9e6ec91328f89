package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/paywarden/paywarden"
)

// ExpireIdempotency deletes expired idempotency records now and then every
// interval until ctx is done. A stored answer may hold a payment's
// client_secret, so it must not outlive its idempotency window by more
// than interval: the first run is at start, not an interval later, so that
// a process restarted more often than interval still deletes them.
func ExpireIdempotency(ctx context.Context, log *slog.Logger, st paywarden.IdempotencyStore, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	now := time.Now()
	for {
		if n, err := st.DeleteExpiredIdempotency(ctx, now); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "deleting expired idempotency records", "err", err)
		} else if n > 0 {
			log.DebugContext(ctx, "deleted expired idempotency records", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case now = <-t.C:
		}
	}
}
