package stripeapi

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
)

// testClock is a clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type take struct {
	background bool
	maxWait    time.Duration
	wantTaken  bool
	wantWait   time.Duration
}

func runTakes(t *testing.T, l *Limiter, what string, takes []take) {
	t.Helper()
	for i, tk := range takes {
		wait, taken, err := l.TryTake(context.Background(), tk.background, tk.maxWait)
		if err != nil {
			t.Fatal(err)
		}
		if taken != tk.wantTaken || wait != tk.wantWait {
			t.Errorf("%s, take %d (background %t): got taken %t wait %v, want %t %v", what, i, tk.background, taken, wait, tk.wantTaken, tk.wantWait)
		}
	}
}

// limiterContract checks a limiter over a fresh bucket of a store whose
// clock stands still: 1 token a second, a burst of 4, 2 of them reserved.
func limiterContract(t *testing.T, l *Limiter) {
	runTakes(t, l, "a full bucket", []take{
		// Background calls take down to the reserve, then must wait for a
		// token above it.
		{true, 0, true, 0},
		{true, 0, true, 0},
		{true, 0, false, time.Second},
		// The API takes the reserve at once,
		{false, 0, true, 0},
		{false, 0, true, 0},
		// then may queue for the next token, or refuse to wait for it.
		{false, 0, false, time.Second},
		{false, 5 * time.Second, true, time.Second},
		{false, 5 * time.Second, true, 2 * time.Second},
		// Background work waits for the debt and the reserve: 2 + 1 + 2.
		{true, 0, false, 5 * time.Second},
	})
}

func TestLimiterPriority(t *testing.T) {
	c := &testClock{now: time.Unix(1_800_000_000, 0)}
	l := NewLimiter(NewMemoryBuckets(c.Now), "stripe-test", 1, 4, 2)
	limiterContract(t, l)

	// Time refills the bucket, up to the burst.
	c.Add(time.Hour)
	runTakes(t, l, "after an hour", []take{
		{true, 0, true, 0},
		{true, 0, true, 0},
		{true, 0, false, time.Second},
	})
	c.Add(1500 * time.Millisecond)
	runTakes(t, l, "1.5 s later", []take{
		{true, 0, true, 0},
		{true, 0, false, 500 * time.Millisecond},
	})
}

func TestLimiterTakeRespectsTheDeadline(t *testing.T) {
	c := &testClock{now: time.Unix(1_800_000_000, 0)}
	l := NewLimiter(NewMemoryBuckets(c.Now), "b", 0.001, 1, 0) // one token, then one per 1000 s
	if err := l.Take(context.Background(), false); err != nil {
		t.Fatalf("first token: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.Take(ctx, false); err != errNoToken {
		t.Fatalf("a token 1000 s away under a 1 min deadline: got %v, want %v", err, errNoToken)
	}
	// The refused call took nothing: after 1000 s the next token is there.
	c.Add(1000 * time.Second)
	runTakes(t, l, "after 1000 s", []take{{false, 0, true, 0}})
}

func TestClientRateLimitNamesTheBucketByMode(t *testing.T) {
	for _, tc := range []struct {
		key, bucket string
		rate        float64
	}{
		{"sk_" + "test_" + "limiterlimiterlimiter1234", "stripe-test", DefaultTestRate},
		{"sk_" + "live_" + "limiterlimiterlimiter1234", "stripe-live", DefaultLiveRate},
	} {
		c, err := New(Config{Keys: map[string]paywarden.Secret{paywarden.CapabilityDefault: paywarden.NewSecret(tc.key)}})
		if err != nil {
			t.Fatal(err)
		}
		if c.limiter.name != tc.bucket || c.limiter.rate != tc.rate || c.limiter.reserve < 1 || c.limiter.reserve >= c.limiter.burst {
			t.Errorf("%s…: bucket %q rate %v burst %v reserve %v, want %q at %v with a reserve below the burst",
				tc.key[:8], c.limiter.name, c.limiter.rate, c.limiter.burst, c.limiter.reserve, tc.bucket, tc.rate)
		}
	}
}
