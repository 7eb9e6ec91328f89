package stripeapi

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/paywarden/paywarden"
)

// The client-side rate limit is a token bucket with priorities. Calls made
// for a caller of the internal API (the default) take a token whenever the
// bucket has one, and otherwise wait their turn. Background calls — the
// workers' re-fetches, marked with Background — take a token only while
// the bucket holds more than a reserve: they use whatever budget the API
// leaves, and an API call that arrives finds the reserve waiting for it
// instead of queueing behind a backlog's fetches.
//
// The bucket's state lives in a BucketStore: in memory for one process
// (MemoryBuckets), or in PostgreSQL, so that every replica takes from the
// same bucket and all of them together stay below Stripe's limit.

// BucketStore keeps token buckets. UpdateBucket calls update, serialized
// with every other update of the bucket called name (across processes, for
// a shared store), with the tokens it held after its last update and the
// time elapsed since then (a new bucket holds +Inf tokens: it starts
// full, whatever its size), and stores the count update returns.
type BucketStore interface {
	UpdateBucket(ctx context.Context, name string, update func(tokens float64, elapsed time.Duration) float64) error
}

// MemoryBuckets is a BucketStore in this process's memory.
type MemoryBuckets struct {
	mu      sync.Mutex
	buckets map[string]*memoryBucket
	now     func() time.Time
}

type memoryBucket struct {
	tokens float64
	at     time.Time
}

// NewMemoryBuckets returns an empty MemoryBuckets; now is its clock (nil:
// time.Now).
func NewMemoryBuckets(now func() time.Time) *MemoryBuckets {
	if now == nil {
		now = time.Now
	}
	return &MemoryBuckets{buckets: map[string]*memoryBucket{}, now: now}
}

// UpdateBucket implements BucketStore.
func (m *MemoryBuckets) UpdateBucket(_ context.Context, name string, update func(float64, time.Duration) float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	b := m.buckets[name]
	if b == nil {
		b = &memoryBucket{tokens: math.Inf(1), at: now}
		m.buckets[name] = b
	}
	b.tokens = update(b.tokens, max(now.Sub(b.at), 0))
	b.at = now
	return nil
}

// Limiter takes tokens from one bucket of a BucketStore.
type Limiter struct {
	store   BucketStore
	name    string
	rate    float64 // tokens per second
	burst   float64 // the most the bucket holds
	reserve float64 // tokens background calls leave for the others
	sleep   func(ctx context.Context, d time.Duration) error
}

// NewLimiter returns a limiter of rate requests per second over the bucket
// called name in store, holding at most burst tokens, of which background
// calls leave reserve.
func NewLimiter(store BucketStore, name string, rate, burst, reserve float64) *Limiter {
	return &Limiter{store: store, name: name, rate: rate, burst: max(burst, 1), reserve: min(max(reserve, 0), max(burst, 1)-1), sleep: sleepCtx}
}

// errNoToken is why Take refused a token.
var errNoToken = errors.New("client-side rate limit: no token before the deadline")

// Take takes one token, waiting as long as needed but no longer than ctx
// allows. A background call waits until the bucket holds more than the
// reserve. A call that would wait past ctx's deadline takes nothing and
// fails at once.
func (l *Limiter) Take(ctx context.Context, background bool) error {
	for {
		wait, taken, err := l.TryTake(ctx, background, maxWait(ctx))
		if err != nil {
			return err
		}
		if wait > 0 {
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				return errNoToken
			}
			if err := l.sleep(ctx, wait); err != nil {
				return err
			}
		}
		if taken {
			return nil
		}
	}
}

func maxWait(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), 0)
	}
	return time.Duration(math.MaxInt64)
}

// TryTake makes one attempt. A foreground call takes a token if the wait
// for it (the bucket may owe tokens to calls before it) is at most
// maxWait, and returns that wait. A background call takes a token only if
// one is there above the reserve; if not, wait says when to try again.
func (l *Limiter) TryTake(ctx context.Context, background bool, maxWait time.Duration) (wait time.Duration, taken bool, err error) {
	err = l.store.UpdateBucket(ctx, l.name, func(tokens float64, elapsed time.Duration) float64 {
		avail := min(l.burst, tokens+elapsed.Seconds()*l.rate)
		need := 1.0
		if background {
			need += l.reserve
		}
		wait = time.Duration(math.Ceil(max(need-avail, 0) / l.rate * float64(time.Second)))
		switch {
		case background && wait > 0:
			return avail
		case !background && wait > maxWait:
			return avail
		}
		taken = true
		if background {
			wait = 0
		}
		return avail - 1
	})
	return wait, taken, err
}

// Background marks ctx's Stripe calls as background work (the workers'
// fetches, sync): they take from the rate budget only what the internal
// API leaves.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

type backgroundKey struct{}

func isBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// Worker is the client the workers fetch with: its Fetch is a background
// call (see Background).
type Worker struct{ *Client }

// Fetch reads an object as Client.Fetch does, in the background.
func (w Worker) Fetch(ctx context.Context, objectType, id string) ([]byte, error) {
	return w.Client.Fetch(Background(ctx), objectType, id)
}

// rateLimited is the error of a call that got no token in time.
func rateLimited(err error) error {
	return &paywarden.Error{
		Code:       paywarden.ERATELIMITED,
		Message:    "Too many requests to Stripe; try again shortly.",
		RetryAfter: time.Second,
		Err:        err,
	}
}
