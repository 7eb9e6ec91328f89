// Package eventproc runs the workers that process stored webhook events:
// each claims pending events under a lease, applies them to the mirror
// behind a per-object ordering guard, runs the registered handlers, and marks
// the event processed in the same transaction as its mirror writes. Failures
// are retried with capped exponential backoff until the event is dead.
// handlers.go lists every handler (today: signed deliveries to internal
// subscribers); metrics.go holds the workers' metrics and the count of
// stored events by status.
//
// It must not receive webhooks (package webhook does) nor call Stripe other
// than through a Fetcher; it signs deliveries with stripesig, never with the
// receiver's code.
package eventproc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
)

// Store is what the workers need of the database.
type Store interface {
	paywarden.EventStore
	paywarden.MirrorStore
}

// Fetcher reads an object's current state from Stripe, as JSON. It returns
// an error with code ENOTFOUND when Stripe has no such object.
type Fetcher interface {
	Fetch(ctx context.Context, objectType, id string) ([]byte, error)
}

// Handler is run for each event of the types it is registered for. It runs
// at least once per event (again after any failure), so it must be
// idempotent. An error fails the event, which is retried.
type Handler func(ctx context.Context, e *paywarden.Event) error

// Options configure a Processor. Store is required.
type Options struct {
	Store   Store
	Fetcher Fetcher // nil: never re-fetch (the payload is used as it is)

	// APIVersion is the pinned Stripe API version. An event of another
	// version (a replayed quarantined one) is never mirrored from its
	// payload: its object is re-read from Stripe (version.go). Empty
	// takes every event as pinned; serve always sets it.
	APIVersion string

	Logger  *slog.Logger
	Metrics *Metrics
	Owner   string // this process's lease owner name; must be unique per process

	// Subscribers receive every event they subscribe to, signed; see
	// Deliverer. Client posts to them (default: a 15s timeout) and
	// Registerer takes the delivery counter (nil: none).
	Subscribers []paywarden.Subscriber
	Client      *http.Client
	Registerer  prometheus.Registerer

	Workers     int           // concurrent workers; default 2
	Batch       int           // events claimed at once; default 32
	Lease       time.Duration // default 1m
	MaxAttempts int           // attempts before dead; default 8
	BaseBackoff time.Duration // default 1s
	MaxBackoff  time.Duration // default 1h
	Idle        time.Duration // how often an idle worker looks for work; default 1s
	// Busy, when it reports true, makes the workers pause (busyPause)
	// before their next claim: the webhook receiver is taking a burst and
	// has the machine first (webhook.Ingest.Busy). nil: never.
	Busy func() bool
	Now  func() time.Time
}

// Processor processes stored events.
type Processor struct {
	o          Options
	mu         sync.RWMutex
	registered map[string][]Handler
	wake       chan struct{}
}

// New returns a Processor.
func New(o Options) *Processor {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	def(&o.Lease, time.Minute)
	def(&o.BaseBackoff, time.Second)
	def(&o.MaxBackoff, time.Hour)
	def(&o.Idle, time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = newMetrics()
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 15 * time.Second}
	}
	p := &Processor{o: o, registered: map[string][]Handler{}, wake: make(chan struct{}, 1)}
	p.handlers()
	return p
}

// Handle registers h for events of type typ, or for every event when typ
// is "*". paywarden's own handlers are listed in handlers.go; Handle is for
// tests and tools that add their own.
func (p *Processor) Handle(typ string, h Handler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.registered[typ] = append(p.registered[typ], h)
}

// Wake tells an idle worker that new events are stored. It never blocks.
func (p *Processor) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run runs the workers until ctx is done.
func (p *Processor) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.o.Workers {
		wg.Go(func() { p.work(ctx) })
	}
	wg.Wait()
}

func (p *Processor) work(ctx context.Context) {
	idle := time.NewTimer(0)
	defer idle.Stop()
	for ctx.Err() == nil {
		if p.o.Busy != nil && p.o.Busy() {
			idle.Reset(busyPause)
			select {
			case <-ctx.Done():
			case <-idle.C:
			}
			continue
		}
		n, err := p.ProcessBatch(ctx)
		if err != nil && ctx.Err() == nil {
			p.o.Logger.ErrorContext(ctx, "claiming events", "err", err)
		}
		if n > 0 {
			continue
		}
		idle.Reset(p.o.Idle)
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-idle.C:
		}
	}
}

// ProcessBatch claims one batch of due events, processes each, and returns
// how many it claimed. Events of the same object in the batch share one
// mirror state (at most one fetch), and the batch's completions are written
// in one transaction (CompleteEvents) at the end. When ctx ends mid-batch,
// the event in flight is finished (within the lease), what is done is
// completed, and the rest are released at once, so a graceful stop never
// leaves events leased to a process that is gone.
func (p *Processor) ProcessBatch(ctx context.Context) (int, error) {
	events, err := p.o.Store.ClaimEvents(ctx, p.o.Owner, p.o.Batch, p.o.Lease)
	if err != nil {
		return 0, err
	}
	// Claimed work is finished or handed back even after ctx ends: the event
	// in flight gets a short grace to finish, then is aborted and released.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.o.Lease)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancel) })
	defer stop()
	b := newBatch(events)
	var done []*paywarden.Event
	var cs []paywarden.Completion
	for i, e := range events {
		if ctx.Err() != nil {
			p.release(work, events[i:])
			break
		}
		start := p.o.Now()
		objects, err := p.apply(work, b, e)
		p.o.Metrics.seconds.Observe(p.o.Now().Sub(start).Seconds())
		if err != nil {
			p.failed(work, e, err)
			continue
		}
		done = append(done, e)
		cs = append(cs, paywarden.Completion{EventID: e.ID, Objects: objects})
	}
	p.complete(work, done, cs)
	return len(events), nil
}

// busyPause is how long the workers wait before looking again whether
// the receiver is still busy.
const busyPause = 50 * time.Millisecond

// shutdownGrace is how long an event in flight may take to finish once
// the workers are told to stop.
const shutdownGrace = 5 * time.Second

// release gives back claimed events this worker will not process.
func (p *Processor) release(ctx context.Context, events []*paywarden.Event) {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
	}
	for _, e := range events {
		if err := p.o.Store.ReleaseEvent(ctx, e.ID, p.o.Owner); err != nil {
			p.o.Logger.WarnContext(ctx, "releasing a claimed event", "event", e.ID, "err", err)
		}
	}
}

// complete writes the completions of a batch in one transaction. A
// completion whose lease was lost is another worker's now; if the whole
// transaction fails, each event is failed and retried.
func (p *Processor) complete(ctx context.Context, done []*paywarden.Event, cs []paywarden.Completion) {
	if len(cs) == 0 {
		return
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
	}
	errs, err := p.o.Store.CompleteEvents(ctx, p.o.Owner, cs)
	if err != nil {
		for _, e := range done {
			p.failed(ctx, e, fmt.Errorf("completing: %w", err))
		}
		return
	}
	m := p.o.Metrics
	for i, e := range done {
		if errs[i] != nil {
			p.o.Logger.WarnContext(ctx, "lost the lease on an event; another worker has it", "event", e.ID, "err", errs[i])
			continue
		}
		m.processed.WithLabelValues("processed").Inc()
		if !e.ReceivedAt.IsZero() {
			m.lag.Observe(p.o.Now().Sub(e.ReceivedAt).Seconds())
		}
	}
}

// failed records a failed attempt of a claimed event.
func (p *Processor) failed(ctx context.Context, e *paywarden.Event, err error) {
	if ctx.Err() != nil {
		// Aborted at shutdown: not the event's fault.
		p.release(ctx, []*paywarden.Event{e})
		return
	}
	// The claim counted this attempt, so an event that crashes its worker
	// every time still dies in the end.
	m := p.o.Metrics
	attempts := e.Attempts
	dead := attempts >= p.o.MaxAttempts
	retryAt := p.o.Now().Add(p.backoff(attempts))
	reason := safeReason(err)
	if ferr := p.o.Store.FailEvent(ctx, e.ID, p.o.Owner, reason, retryAt, dead); ferr != nil {
		if paywarden.ErrorCode(ferr) == paywarden.EUNAVAILABLE {
			p.o.Logger.WarnContext(ctx, "lost the lease on an event; another worker has it", "event", e.ID)
			return
		}
		p.o.Logger.ErrorContext(ctx, "recording event failure", "event", e.ID, "err", ferr)
		return
	}
	if dead {
		m.processed.WithLabelValues("dead").Inc()
		p.o.Logger.ErrorContext(ctx, "event is dead after too many attempts", "event", e.ID, "type", e.Type,
			"attempts", attempts, "reason", reason)
		return
	}
	m.processed.WithLabelValues("failed").Inc()
	p.o.Logger.WarnContext(ctx, "event failed; will retry", "event", e.ID, "type", e.Type,
		"attempts", attempts, "retry_at", retryAt, "reason", reason)
}

// apply returns the mirror writes of the event and runs its handlers.
func (p *Processor) apply(ctx context.Context, b *batch, e *paywarden.Event) ([]*paywarden.MirrorObject, error) {
	var objects []*paywarden.MirrorObject
	if g := b.group(e); g != nil {
		obj, err := g.state(ctx, p)
		if err != nil {
			return nil, err
		}
		if obj != nil {
			objects = append(objects, obj)
		}
	}
	p.mu.RLock()
	hs := append(slices.Clone(p.registered[e.Type]), p.registered["*"]...)
	p.mu.RUnlock()
	for _, h := range hs {
		if err := h(ctx, e); err != nil {
			return nil, fmt.Errorf("handler: %w", err)
		}
	}
	return objects, nil
}

// backoff returns the delay before attempt n+1: exponential from
// BaseBackoff, capped at MaxBackoff, with up to 20% jitter so that events
// failed together do not retry together.
func (p *Processor) backoff(attempts int) time.Duration {
	d := p.o.BaseBackoff << min(attempts-1, 30)
	if d <= 0 || d > p.o.MaxBackoff {
		d = p.o.MaxBackoff
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// safeReason is the failure reason stored with the event. The error code and
// caller-safe message of a paywarden error, or the error text, shortened;
// the stores' and Stripe client's errors carry no secrets.
func safeReason(err error) string {
	s := err.Error()
	var pe *paywarden.Error
	if errors.As(err, &pe) {
		s = pe.Code + ": " + pe.Message
	}
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
