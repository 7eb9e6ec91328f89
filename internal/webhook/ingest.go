package webhook

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/groupcommit"
)

// IngestOptions configure an Ingest. Store is required.
type IngestOptions struct {
	Store EventInserter
	// Wake is called after a new pending event is committed, to tell the
	// workers there is work. nil: nobody is told.
	Wake func()
	// Registerer takes the batch-size and queue-depth metrics. nil: none.
	Registerer prometheus.Registerer
	MaxBatch   int // events in one transaction; default 256
	QueueSize  int // events that may wait for a transaction; default 4096
}

// Ingest is the receiver's durable store: it groups the events of
// concurrent requests into one InsertEvents transaction (one sync for
// many events), answers each request once its event is committed, and
// wakes the workers. Its queue is bounded: when full, Submit fails at once
// with ErrQueueFull.
type Ingest struct {
	batcher *groupcommit.Batcher[*paywarden.Event, bool]
	wake    func()
	now     func() time.Time
	// lastBurst is when (unix nanoseconds) a commit last held at least
	// burstBatch events: requests were waiting on each other.
	lastBurst atomic.Int64
}

// A commit of burstBatch events or more means concurrent requests queued
// behind one another; the receiver counts as Busy for burstFor after it.
const (
	burstBatch = 4
	burstFor   = 100 * time.Millisecond
)

// NewIngest returns an Ingest and starts its committer; Close stops it.
func NewIngest(o IngestOptions) *Ingest {
	batchSize := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "paywarden_webhook_commit_batch_size", Help: "Events committed together in one transaction.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10)})
	in := &Ingest{wake: o.Wake, now: time.Now}
	if in.wake == nil {
		in.wake = func() {}
	}
	in.batcher = groupcommit.New(func(ctx context.Context, events []*paywarden.Event) ([]bool, error) {
		batchSize.Observe(float64(len(events)))
		if len(events) >= burstBatch {
			in.lastBurst.Store(in.now().UnixNano())
		}
		return o.Store.InsertEvents(ctx, events)
	}, groupcommit.Options{MaxBatch: o.MaxBatch, QueueSize: o.QueueSize,
		// A store refuses a batch with EINVALID for one bad event; the
		// others that shared its transaction are committed without it.
		Isolate: func(err error) bool { return paywarden.ErrorCode(err) == paywarden.EINVALID }})
	if o.Registerer != nil {
		o.Registerer.MustRegister(batchSize, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "paywarden_webhook_queue_depth", Help: "Events waiting to be committed."},
			func() float64 { return float64(in.batcher.Len()) }))
	}
	return in
}

// Submit is a Submitter: it returns once e is committed, reporting whether
// it was new, and wakes the workers for a new pending event. ErrQueueFull
// when the queue is full.
func (in *Ingest) Submit(ctx context.Context, e *paywarden.Event) (created bool, err error) {
	created, err = in.batcher.Submit(ctx, e)
	if errors.Is(err, groupcommit.ErrQueueFull) {
		return false, ErrQueueFull
	}
	if created && e.Status == paywarden.EventPending {
		in.wake()
	}
	return created, err
}

// Busy reports whether the receiver is taking a burst: a commit of
// several queued events in the last burstFor. The workers defer to it
// (eventproc.Options.Busy): on a machine where both compete for the same
// cores and the same SQLite writer, a burst is acknowledged first, at the
// receiver's full speed, and processed after, at the workers' full speed.
// A trickle (one event per commit) never counts.
func (in *Ingest) Busy() bool {
	last := in.lastBurst.Load()
	return last != 0 && in.now().UnixNano()-last < int64(burstFor)
}

// Close stops taking events, commits those queued and returns when the
// last is committed. Call it after the server has answered every request.
func (in *Ingest) Close() { in.batcher.Close() }
