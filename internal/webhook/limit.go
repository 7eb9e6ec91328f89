package webhook

import (
	"net/http"
	"sync/atomic"
)

// Limit returns rc behind a bound on the requests it handles at once: the
// request beyond max is answered 503 with Retry-After at once, before its
// body is read. The write queue bounds the events waiting for a commit, but
// not the requests still reading, verifying and decoding: when the CPU is
// the bottleneck (`make reliability`, 2x overload) they pile up, each gets
// a thinner slice of it, and every answer slows until Stripe times out
// instead of being told to retry. max <= 0 means no bound.
func (rc *Receiver) Limit(max int) http.Handler {
	if max <= 0 {
		return rc
	}
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > int64(max) {
			n.Add(-1)
			rc.o.Metrics.received.Inc()
			w.Header().Set("Retry-After", "1")
			rc.reject(w, r, http.StatusServiceUnavailable, "overloaded", "Too many requests in flight; retry later.")
			return
		}
		defer n.Add(-1)
		rc.ServeHTTP(w, r)
	})
}
