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
	Now         func() time.Time
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
// how many it claimed. When ctx ends mid-batch, the event in flight is
// finished (within the lease) and the rest are released at once, so a
// graceful stop never leaves events leased to a process that is gone.
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
	for i, e := range events {
		if ctx.Err() != nil {
			p.release(work, events[i:])
			break
		}
		p.process(work, e)
	}
	return len(events), nil
}

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

// process runs one claimed event to completion or to a recorded failure.
func (p *Processor) process(ctx context.Context, e *paywarden.Event) {
	start := p.o.Now()
	err := p.apply(ctx, e)
	m := p.o.Metrics
	m.seconds.Observe(p.o.Now().Sub(start).Seconds())
	if err == nil {
		m.processed.WithLabelValues("processed").Inc()
		if !e.ReceivedAt.IsZero() {
			m.lag.Observe(p.o.Now().Sub(e.ReceivedAt).Seconds())
		}
		return
	}
	if errors.Is(err, errLeaseLost) {
		return
	}
	if ctx.Err() != nil {
		// Aborted at shutdown: not the event's fault.
		p.release(ctx, []*paywarden.Event{e})
		return
	}
	// The claim counted this attempt, so an event that crashes its worker
	// every time still dies in the end.
	attempts := e.Attempts
	dead := attempts >= p.o.MaxAttempts
	retryAt := p.o.Now().Add(p.backoff(attempts))
	reason := safeReason(err)
	if ferr := p.o.Store.FailEvent(ctx, e.ID, p.o.Owner, reason, retryAt, dead); ferr != nil {
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

var errLeaseLost = errors.New("lease lost")

// apply mirrors the event's object, runs the handlers and completes the event.
func (p *Processor) apply(ctx context.Context, e *paywarden.Event) error {
	var objects []*paywarden.MirrorObject
	if slices.Contains(paywarden.MirroredTypes, e.ObjectType) && e.ObjectID != "" {
		obj, err := p.mirrorState(ctx, e)
		if err != nil {
			return err
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
			return fmt.Errorf("handler: %w", err)
		}
	}
	err := p.o.Store.CompleteEvent(ctx, e.ID, p.o.Owner, objects)
	if paywarden.ErrorCode(err) == paywarden.EUNAVAILABLE {
		p.o.Logger.WarnContext(ctx, "lost the lease on an event; another worker has it", "event", e.ID)
		return errLeaseLost
	}
	return err
}

// mirrorState returns the state of the event's object to write to the
// mirror, or nil for none. An event of another API version is re-read
// whole (repinnedState). Money-moving objects, and objects whose stored state has the same
// version as this event (a tie the payloads cannot order), are re-read from
// Stripe; the store's ordering guard does the rest.
func (p *Processor) mirrorState(ctx context.Context, e *paywarden.Event) (*paywarden.MirrorObject, error) {
	if p.offVersion(e) {
		return p.repinnedState(ctx, e)
	}
	raw, err := objectOf(e.Payload)
	if err != nil {
		return nil, err
	}
	refetch := paywarden.MoneyMoving(e.ObjectType)
	if !refetch && p.o.Fetcher != nil {
		cur, err := p.o.Store.Object(ctx, e.ObjectType, e.ObjectID)
		switch {
		case err == nil:
			refetch = cur.Version.Equal(e.Created) && cur.EventID != e.ID
		case paywarden.ErrorCode(err) != paywarden.ENOTFOUND:
			return nil, err
		}
	}
	fetched := false
	if refetch && p.o.Fetcher != nil && e.Type != e.ObjectType+".deleted" {
		data, err := p.o.Fetcher.Fetch(ctx, e.ObjectType, e.ObjectID)
		switch {
		case err == nil:
			raw, fetched = data, true
			p.o.Metrics.fetches.Inc()
		case paywarden.ErrorCode(err) == paywarden.ENOTFOUND:
			// Gone from Stripe: the payload is the last state there is.
		default:
			return nil, fmt.Errorf("fetching %s: %w", e.ObjectType, err)
		}
	}
	obj, err := extract(raw)
	if err != nil {
		return nil, err
	}
	if obj.ID != e.ObjectID || obj.Type != e.ObjectType {
		return nil, fmt.Errorf("object %s %s differs from the event's %s %s", obj.Type, obj.ID, e.ObjectType, e.ObjectID)
	}
	if e.Type == e.ObjectType+".deleted" {
		obj.Status = "deleted"
	}
	obj.Version, obj.Fetched, obj.EventID = e.Created, fetched, e.ID
	return obj, nil
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
