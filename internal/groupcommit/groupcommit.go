// Package groupcommit batches concurrent requests into one flush, the way a
// database groups the commits of concurrent transactions into one sync.
//
// One flusher goroutine takes everything queued (up to MaxBatch) and flushes
// it with one call; while that flush runs, new items queue and form the next
// batch. There are no timers: a lone item is flushed at once, and batches
// grow only as large as the load makes them. The queue is bounded: when it is
// full, Submit fails at once with ErrQueueFull rather than wait.
//
// It is generic and knows nothing of events or stores: webhook.Ingest is
// the batcher over InsertEvents that the server runs. It must not import
// any paywarden package.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrQueueFull is returned by Submit when the queue is full. The item was not
// queued; the caller should shed load (the webhook receiver answers 503).
var ErrQueueFull = errors.New("groupcommit: queue full")

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("groupcommit: closed")

// Options configure a Batcher.
type Options struct {
	// MaxBatch is the largest number of items passed to one flush.
	// Default 256.
	MaxBatch int
	// QueueSize is how many items may wait while a flush runs, not counting
	// the batch being flushed. Default 4096.
	QueueSize int
	// Isolate reports whether a failed flush may be the fault of one of its
	// items (a store refusing it), so the items are flushed again one at a
	// time and only the bad one fails. nil: never; a fault of the store
	// itself (down, disk full) fails the whole batch at once, without a
	// retry per item.
	Isolate func(err error) bool
}

// Batcher groups the items of concurrent Submit calls into batches, flushed
// one at a time by a single goroutine.
type Batcher[T, R any] struct {
	flush    func(ctx context.Context, items []T) ([]R, error)
	maxBatch int
	isolate  func(err error) bool

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	queue  chan *request[T, R]
	done   chan struct{} // closed when the flusher has returned
}

type request[T, R any] struct {
	ctx    context.Context
	item   T
	result chan result[R] // buffered: the flusher never blocks on it
}

type result[R any] struct {
	r   R
	err error
}

// New returns a Batcher that flushes with flush and starts its flusher
// goroutine; Close stops it. flush must return one result per item, in
// order, or an error, which every item of the batch receives — unless
// Options.Isolate says the error may be one item's, in which case the
// items are flushed again one at a time; flush must then be safe to repeat
// for the items of a failed call, as a rolled-back transaction is.
func New[T, R any](flush func(ctx context.Context, items []T) ([]R, error), opts Options) *Batcher[T, R] {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	b := &Batcher[T, R]{
		flush:    flush,
		maxBatch: opts.MaxBatch,
		isolate:  opts.Isolate,
		queue:    make(chan *request[T, R], opts.QueueSize),
		done:     make(chan struct{}),
	}
	go b.run()
	return b
}

// Submit queues item and waits until the batch holding it is flushed, then
// returns its result. It returns ErrQueueFull at once when the queue is full
// and ErrClosed after Close. If ctx ends first, Submit returns ctx's error;
// the item may still be flushed.
func (b *Batcher[T, R]) Submit(ctx context.Context, item T) (R, error) {
	req, err := b.enqueue(ctx, item)
	if err != nil {
		var zero R
		return zero, err
	}
	return b.wait(ctx, req)
}

// Len returns the number of items waiting for a flush, for metrics.
func (b *Batcher[T, R]) Len() int { return len(b.queue) }

func (b *Batcher[T, R]) enqueue(ctx context.Context, item T) (*request[T, R], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := &request[T, R]{ctx: ctx, item: item, result: make(chan result[R], 1)}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	select {
	case b.queue <- req:
		return req, nil
	default:
		return nil, ErrQueueFull
	}
}

func (b *Batcher[T, R]) wait(ctx context.Context, req *request[T, R]) (R, error) {
	select {
	case res := <-req.result:
		return res.r, res.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// Close stops accepting items, flushes those already queued, and waits for
// the flusher to return.
func (b *Batcher[T, R]) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *Batcher[T, R]) run() {
	defer close(b.done)
	reqs := make([]*request[T, R], 0, b.maxBatch)
	items := make([]T, 0, b.maxBatch)
	for first := range b.queue {
		reqs = append(reqs[:0], first)
	drain:
		for len(reqs) < b.maxBatch {
			select {
			case req, ok := <-b.queue:
				if !ok {
					break drain
				}
				reqs = append(reqs, req)
			default:
				break drain
			}
		}
		b.flushBatch(reqs, items[:0])
		clear(reqs) // drop references to flushed items
		clear(items[:cap(items)])
	}
}

// flushChecked flushes items and checks that there is one result per item.
func (b *Batcher[T, R]) flushChecked(items []T) ([]R, error) {
	rs, err := b.flush(context.Background(), items)
	if err == nil && len(rs) != len(items) {
		err = fmt.Errorf("groupcommit: flush returned %d results for %d items", len(rs), len(items))
	}
	return rs, err
}

func (b *Batcher[T, R]) flushBatch(reqs []*request[T, R], items []T) {
	// A submitter that has given up has already been answered; leave its
	// item out rather than write what nobody waits for.
	live := reqs[:0]
	for _, req := range reqs {
		if req.ctx.Err() == nil {
			live = append(live, req)
			items = append(items, req.item)
		}
	}
	if len(live) == 0 {
		return
	}
	// The batch belongs to many callers, so no one caller's context may
	// cancel it.
	rs, err := b.flushChecked(items)
	if err != nil && len(items) > 1 && b.isolate != nil && b.isolate(err) {
		// One bad item must not fail the others that happened to share its
		// batch: flush each alone, so that each gets its own answer.
		for i, req := range live {
			r, err := b.flushChecked(items[i : i+1])
			if err != nil {
				req.result <- result[R]{err: err}
			} else {
				req.result <- result[R]{r: r[0]}
			}
		}
		return
	}
	for i, req := range live {
		if err != nil {
			req.result <- result[R]{err: err}
		} else {
			req.result <- result[R]{r: rs[i]}
		}
	}
}
