package stripeapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/stripe/stripe-go/v85"
)

// Trace collects what paywarden's calls to Stripe did while serving one
// request: Stripe's request ids and the number of attempts. Put one in the
// context with WithTrace; the access log reads it.
type Trace struct {
	mu         sync.Mutex
	requestIDs []string
	attempts   int
}

type traceKey struct{}

// WithTrace returns a context whose Stripe calls are recorded in t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// LastRequestID returns the Request-Id of the last response Stripe sent.
func (t *Trace) LastRequestID() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.requestIDs) == 0 {
		return ""
	}
	return t.requestIDs[len(t.requestIDs)-1]
}

// Attempts returns how many HTTP attempts were made.
func (t *Trace) Attempts() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.attempts
}

// attempt is what the transport saw of one HTTP attempt: the SDK turns
// error responses into errors that may lack the status (a body that is not
// JSON) and never expose Retry-After, so the transport records them.
type attempt struct {
	status    int
	header    http.Header
	transport error
}

type attemptKey struct{}

// recordingTransport records each response's status and headers in the
// attempt and Trace of its request's context.
type recordingTransport struct{ base http.RoundTripper }

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	ctx := req.Context()
	if a, ok := ctx.Value(attemptKey{}).(*attempt); ok {
		if err != nil {
			a.transport = err
		} else {
			a.status, a.header = resp.StatusCode, resp.Header.Clone()
		}
	}
	if tr, ok := ctx.Value(traceKey{}).(*Trace); ok {
		tr.mu.Lock()
		tr.attempts++
		if err == nil {
			if id := resp.Header.Get("Request-Id"); id != "" {
				tr.requestIDs = append(tr.requestIDs, id)
			}
		}
		tr.mu.Unlock()
	}
	return resp, err
}

// call runs fn under paywarden's retry policy. fn makes exactly one HTTP
// attempt with the SDK client (or the key) of the capability; a mutating
// call sends the same idempotency key on every attempt. op names the call in logs.
func (c *Client) call(ctx context.Context, op, capability string, fn func(ctx context.Context, sc *stripe.Client, key string) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	sc, key := c.sdk(capability)
	if sc == nil {
		return paywarden.Errorf(paywarden.ESTRIPEMISCONFIGURED, "No Stripe key is configured.")
	}
	for n := 0; ; n++ {
		if err := c.wait(ctx); err != nil {
			return err
		}
		a := &attempt{}
		err := fn(context.WithValue(ctx, attemptKey{}, a), sc, key.Reveal())
		if err == nil {
			return nil
		}
		retry, after := c.retryable(ctx, a)
		if !retry || n >= c.maxRetries {
			return c.classify(ctx, op, capability, key, a, err, n+1)
		}
		d := c.backoff(n)
		if after > d {
			d = after
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			// No time left for another attempt within the caller's deadline.
			return c.classify(ctx, op, capability, key, a, err, n+1)
		}
		c.logger.DebugContext(ctx, "stripe retry", "op", op, "attempt", n+1, "status", a.status,
			"stripe_request_id", a.header.Get("Request-Id"), "wait", d)
		if err := c.sleep(ctx, d); err != nil {
			return c.classify(ctx, op, capability, key, a, err, n+1)
		}
	}
}

// wait takes a token from the client-side rate limiter, as a background
// call if ctx is marked so.
func (c *Client) wait(ctx context.Context) error {
	if c.limiter == nil {
		return nil
	}
	if err := c.limiter.Take(ctx, isBackground(ctx)); err != nil {
		return rateLimited(err)
	}
	return nil
}

// retryable applies the retry policy to a failed attempt. after is the
// wait Stripe asked for with Retry-After, if any.
func (c *Client) retryable(ctx context.Context, a *attempt) (retry bool, after time.Duration) {
	if ctx.Err() != nil {
		return false, 0
	}
	switch a.header.Get("Stripe-Should-Retry") {
	case "false":
		return false, 0
	case "true":
		return true, retryAfter(a.header)
	}
	if a.status == 0 {
		// No response: a connection error is retried, anything else (the
		// SDK refused to build the request) is not.
		return a.transport != nil, 0
	}
	switch {
	case a.status == http.StatusConflict, a.status >= 500:
		return true, 0
	case a.status == http.StatusTooManyRequests:
		return true, retryAfter(a.header)
	}
	return false, 0
}

// backoff returns the wait before retry n+1: capped exponential with equal
// jitter, so retries of many callers spread out but never collapse to 0.
func (c *Client) backoff(n int) time.Duration {
	d := c.base << min(n, 16)
	if d <= 0 || d > c.max {
		d = c.max
	}
	c.jitterMu.Lock()
	j := time.Duration(c.jitter.Int64N(int64(d/2) + 1))
	c.jitterMu.Unlock()
	return d/2 + j
}

func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(min(s, 3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// newIdempotencyKey returns a random key for a mutating call whose caller
// gave none.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "pw-" + hex.EncodeToString(b[:])
}

// idem returns key, or a fresh random one when key is empty.
func idem(key string) string {
	if key == "" {
		return newIdempotencyKey()
	}
	return key
}
