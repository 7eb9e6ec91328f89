package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// heldFlush is a flush that reports each batch on started and then waits
// for a value on release before it returns.
type heldFlush struct {
	started chan []int
	release chan struct{}
}

func newHeldFlush() *heldFlush {
	return &heldFlush{started: make(chan []int), release: make(chan struct{})}
}

func (h *heldFlush) flush(ctx context.Context, items []int) ([]string, error) {
	h.started <- append([]int(nil), items...)
	<-h.release
	rs := make([]string, len(items))
	for i, it := range items {
		rs[i] = fmt.Sprint("r", it)
	}
	return rs, nil
}

func TestSubmitOne(t *testing.T) {
	b := New(func(ctx context.Context, items []int) ([]int, error) {
		rs := make([]int, len(items))
		for i, it := range items {
			rs[i] = it * 2
		}
		return rs, nil
	}, Options{})
	defer b.Close()
	got, err := b.Submit(context.Background(), 21)
	if err != nil || got != 42 {
		t.Fatalf("Submit(21) = %d, %v; want 42, nil", got, err)
	}
}

// TestNextBatch checks the group commit itself: items queued while a flush
// runs are flushed together by the next call, cut at MaxBatch.
func TestNextBatch(t *testing.T) {
	h := newHeldFlush()
	b := New(h.flush, Options{MaxBatch: 3, QueueSize: 10})
	defer b.Close()

	ctx := context.Background()
	first, err := b.enqueue(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := <-h.started, []int{0}; !cmp.Equal(got, want) {
		t.Fatalf("first batch: got %v, want %v", got, want)
	}
	// The flusher is inside flush: these queue behind it.
	var reqs []*request[int, string]
	for i := 1; i <= 5; i++ {
		req, err := b.enqueue(ctx, i)
		if err != nil {
			t.Fatalf("enqueue(%d): %v", i, err)
		}
		reqs = append(reqs, req)
	}
	h.release <- struct{}{}
	if r, err := b.wait(ctx, first); r != "r0" || err != nil {
		t.Fatalf("first result: got %q, %v; want r0, nil", r, err)
	}
	if got, want := <-h.started, []int{1, 2, 3}; !cmp.Equal(got, want) {
		t.Fatalf("second batch: got %v, want %v", got, want)
	}
	h.release <- struct{}{}
	if got, want := <-h.started, []int{4, 5}; !cmp.Equal(got, want) {
		t.Fatalf("third batch: got %v, want %v", got, want)
	}
	h.release <- struct{}{}
	for i, req := range reqs {
		r, err := b.wait(ctx, req)
		if want := fmt.Sprint("r", i+1); r != want || err != nil {
			t.Errorf("result %d: got %q, %v; want %q, nil", i+1, r, err, want)
		}
	}
}

func TestQueueFull(t *testing.T) {
	h := newHeldFlush()
	b := New(h.flush, Options{MaxBatch: 100, QueueSize: 2})
	defer b.Close()

	ctx := context.Background()
	held, err := b.enqueue(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	<-h.started // the flusher holds item 0; the queue is empty
	a, errA := b.enqueue(ctx, 1)
	c, errC := b.enqueue(ctx, 2)
	if errA != nil || errC != nil {
		t.Fatalf("enqueue into a queue of 2: %v, %v", errA, errC)
	}
	if got := b.Len(); got != 2 {
		t.Errorf("Len() = %d, want 2", got)
	}
	if _, err := b.Submit(ctx, 3); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Submit into a full queue: got %v, want ErrQueueFull", err)
	}
	h.release <- struct{}{}
	if got, want := <-h.started, []int{1, 2}; !cmp.Equal(got, want) {
		t.Fatalf("next batch: got %v, want %v", got, want)
	}
	h.release <- struct{}{}
	for i, req := range []*request[int, string]{held, a, c} {
		if r, err := b.wait(ctx, req); err != nil || r != fmt.Sprint("r", i) {
			t.Errorf("result %d: got %q, %v", i, r, err)
		}
	}
	// The queue has room again.
	go func() { <-h.started; h.release <- struct{}{} }()
	if r, err := b.Submit(ctx, 4); err != nil || r != "r4" {
		t.Errorf("Submit after the queue drained: got %q, %v; want r4, nil", r, err)
	}
}

func TestFlushError(t *testing.T) {
	boom := errors.New("boom")
	b := New(func(ctx context.Context, items []int) ([]int, error) { return nil, boom }, Options{})
	defer b.Close()
	if _, err := b.Submit(context.Background(), 1); !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

func TestFlushWrongLength(t *testing.T) {
	b := New(func(ctx context.Context, items []int) ([]int, error) { return []int{}, nil }, Options{})
	defer b.Close()
	if _, err := b.Submit(context.Background(), 1); err == nil {
		t.Error("got nil error from a flush with too few results, want an error")
	}
}

func TestCanceledWhileQueued(t *testing.T) {
	h := newHeldFlush()
	b := New(h.flush, Options{})
	defer b.Close()

	bg := context.Background()
	held, _ := b.enqueue(bg, 0)
	<-h.started
	ctx, cancel := context.WithCancel(bg)
	gone, err := b.enqueue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := b.enqueue(bg, 2)
	cancel()
	if _, err := b.wait(ctx, gone); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled submit: got %v, want context.Canceled", err)
	}
	h.release <- struct{}{}
	// The canceled item is left out of the next batch.
	if got, want := <-h.started, []int{2}; !cmp.Equal(got, want) {
		t.Errorf("next batch: got %v, want %v", got, want)
	}
	h.release <- struct{}{}
	b.wait(bg, held)
	if r, err := b.wait(bg, kept); err != nil || r != "r2" {
		t.Errorf("kept: got %q, %v; want r2, nil", r, err)
	}
}

func TestClose(t *testing.T) {
	h := newHeldFlush()
	b := New(h.flush, Options{})
	ctx := context.Background()
	first, _ := b.enqueue(ctx, 0)
	<-h.started
	queued, _ := b.enqueue(ctx, 1)

	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	// Close drains what was queued before it returns.
	h.release <- struct{}{}
	if got, want := <-h.started, []int{1}; !cmp.Equal(got, want) {
		t.Errorf("batch after Close: got %v, want %v", got, want)
	}
	h.release <- struct{}{}
	<-closed
	for _, req := range []*request[int, string]{first, queued} {
		if _, err := b.wait(ctx, req); err != nil {
			t.Errorf("queued before Close: %v", err)
		}
	}
	if _, err := b.Submit(ctx, 2); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after Close: got %v, want ErrClosed", err)
	}
	b.Close() // a second Close is harmless
}

// TestConcurrent runs many submitters at once under the race detector: each
// gets its own result, every item is flushed exactly once, and no batch is
// larger than MaxBatch.
func TestConcurrent(t *testing.T) {
	const (
		submitters = 32
		each       = 100
		maxBatch   = 16
	)
	var (
		mu      sync.Mutex
		flushed = map[int]int{}
		big     int
	)
	b := New(func(ctx context.Context, items []int) ([]int, error) {
		mu.Lock()
		defer mu.Unlock()
		big = max(big, len(items))
		rs := make([]int, len(items))
		for i, it := range items {
			flushed[it]++
			rs[i] = -it
		}
		return rs, nil
	}, Options{MaxBatch: maxBatch, QueueSize: submitters})
	defer b.Close()

	var wg sync.WaitGroup
	errs := make(chan error, submitters)
	for s := range submitters {
		wg.Go(func() {
			for i := range each {
				item := s*each + i
				r, err := b.Submit(context.Background(), item)
				if err != nil {
					errs <- fmt.Errorf("Submit(%d): %w", item, err)
					return
				}
				if r != -item {
					errs <- fmt.Errorf("Submit(%d) = %d, want %d", item, r, -item)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(flushed) != submitters*each {
		t.Errorf("flushed %d distinct items, want %d", len(flushed), submitters*each)
	}
	for it, n := range flushed {
		if n != 1 {
			t.Errorf("item %d flushed %d times, want 1", it, n)
		}
	}
	if big > maxBatch {
		t.Errorf("largest batch %d, want at most %d", big, maxBatch)
	}
}

// TestIsolatePoisonedItem: an item that fails its batch fails alone when
// Isolate says the error may be one item's; the others are committed.
func TestIsolatePoisonedItem(t *testing.T) {
	poison := errors.New("refused item")
	h := newHeldFlush()
	var (
		mu      sync.Mutex
		flushes [][]int
	)
	first := true
	b := New(func(ctx context.Context, items []int) ([]string, error) {
		if first { // hold the first flush so the rest queue into one batch
			first = false
			return h.flush(ctx, items)
		}
		mu.Lock()
		flushes = append(flushes, append([]int(nil), items...))
		mu.Unlock()
		rs := make([]string, len(items))
		for i, it := range items {
			if it < 0 {
				return nil, poison
			}
			rs[i] = fmt.Sprint("r", it)
		}
		return rs, nil
	}, Options{MaxBatch: 10, Isolate: func(err error) bool { return errors.Is(err, poison) }})
	defer b.Close()

	ctx := context.Background()
	held, _ := b.enqueue(ctx, 0)
	<-h.started
	var reqs []*request[int, string]
	for _, it := range []int{1, -2, 3} {
		req, err := b.enqueue(ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	h.release <- struct{}{}
	if _, err := b.wait(ctx, held); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"r1", "", "r3"} {
		r, err := b.wait(ctx, reqs[i])
		switch {
		case want == "" && !errors.Is(err, poison):
			t.Errorf("poisoned item: got %q, %v; want the refusal", r, err)
		case want != "" && (err != nil || r != want):
			t.Errorf("item %d: got %q, %v; want %q, nil", i, r, err, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := [][]int{{1, -2, 3}, {1}, {-2}, {3}}; !cmp.Equal(flushes, want) {
		t.Errorf("flushes: got %v, want %v", flushes, want)
	}
}

// TestNoIsolateStoreFault: a fault Isolate does not claim (the store is
// down) fails the whole batch once, without a flush per item.
func TestNoIsolateStoreFault(t *testing.T) {
	down := errors.New("store down")
	h := newHeldFlush()
	calls := 0
	first := true
	b := New(func(ctx context.Context, items []int) ([]string, error) {
		if first {
			first = false
			return h.flush(ctx, items)
		}
		calls++
		return nil, down
	}, Options{MaxBatch: 10, Isolate: func(err error) bool { return false }})
	defer b.Close()
	ctx := context.Background()
	held, _ := b.enqueue(ctx, 0)
	<-h.started
	a, _ := b.enqueue(ctx, 1)
	c, _ := b.enqueue(ctx, 2)
	h.release <- struct{}{}
	b.wait(ctx, held)
	for _, req := range []*request[int, string]{a, c} {
		if _, err := b.wait(ctx, req); !errors.Is(err, down) {
			t.Errorf("got %v, want %v", err, down)
		}
	}
	if calls != 1 {
		t.Errorf("flushes after the held one: got %d, want 1", calls)
	}
}
