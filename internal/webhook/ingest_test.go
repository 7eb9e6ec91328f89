package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
	"github.com/paywarden/paywarden/internal/sqlite"
)

func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pw.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func storedEvent(id, apiVersion string) *paywarden.Event {
	raw := eventJSON(id, "customer.updated", t0, false, apiVersion)
	env, err := DecodeEnvelope(raw)
	if err != nil {
		panic(err)
	}
	return env.Event(DefaultEndpoint, raw, t0, stripe.APIVersion)
}

// TestIngestCommitsAndWakes submits concurrent events to a real SQLite
// store: each new one is committed once, duplicates are reported as such,
// and the workers are woken for new pending events only.
func TestIngestCommitsAndWakes(t *testing.T) {
	db := openDB(t)
	var wakes atomic.Int64
	reg := prometheus.NewRegistry()
	in := NewIngest(IngestOptions{Store: db, Wake: func() { wakes.Add(1) }, Registerer: reg})
	ctx := context.Background()

	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			created, err := in.Submit(ctx, storedEvent(fmt.Sprintf("evt_%d", i), stripe.APIVersion))
			if err != nil || !created {
				errs <- fmt.Errorf("evt_%d: got created=%t, %v; want created", i, created, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if created, err := in.Submit(ctx, storedEvent("evt_0", stripe.APIVersion)); err != nil || created {
		t.Errorf("a duplicate: got created=%t, %v; want not created", created, err)
	}
	if created, err := in.Submit(ctx, storedEvent("evt_old", "2020-08-27")); err != nil || !created {
		t.Errorf("a quarantined event: got created=%t, %v; want created", created, err)
	}
	in.Close()

	if got := wakes.Load(); got != n {
		t.Errorf("wakes: got %d, want %d (one per new pending event)", got, n)
	}
	counts, err := db.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[paywarden.EventPending] != n || counts[paywarden.EventQuarantined] != 1 {
		t.Errorf("stored: got %v, want %d pending and 1 quarantined", counts, n)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, mf := range mfs {
		got[mf.GetName()] = true
		if mf.GetName() == "paywarden_webhook_commit_batch_size" {
			h := mf.GetMetric()[0].GetHistogram()
			if h.GetSampleSum() != n+2 {
				t.Errorf("events in committed batches: got %v, want %d", h.GetSampleSum(), n+2)
			}
		}
	}
	for _, name := range []string{"paywarden_webhook_commit_batch_size", "paywarden_webhook_queue_depth"} {
		if !got[name] {
			t.Errorf("metric %s is not registered", name)
		}
	}
}

// blockingStore holds InsertEvents until released: a state a real store
// cannot be put in on demand.
type blockingStore struct {
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) InsertEvents(_ context.Context, events []*paywarden.Event) ([]bool, error) {
	s.entered <- struct{}{}
	<-s.release
	return make([]bool, len(events)), nil
}

// TestIngestQueueFull: with the committer busy and the queue full, Submit
// answers ErrQueueFull at once, which the receiver maps to 503.
func TestIngestQueueFull(t *testing.T) {
	st := &blockingStore{entered: make(chan struct{}, 4), release: make(chan struct{})}
	in := NewIngest(IngestOptions{Store: st, QueueSize: 1, MaxBatch: 1})
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() { in.Submit(ctx, storedEvent("evt_1", stripe.APIVersion)) })
	<-st.entered // the committer holds evt_1
	wg.Go(func() { in.Submit(ctx, storedEvent("evt_2", stripe.APIVersion)) })
	// evt_2 is queued once the queue reports it.
	for in.batcher.Len() == 0 {
		runtime.Gosched()
	}
	if _, err := in.Submit(ctx, storedEvent("evt_3", stripe.APIVersion)); err != ErrQueueFull {
		t.Errorf("a full queue: got %v, want ErrQueueFull", err)
	}
	close(st.release)
	wg.Wait()
	in.Close()
}

// TestReconcileEvery stores an event Stripe never delivered on its first
// tick and wakes the workers.
func TestReconcileEvery(t *testing.T) {
	db := openDB(t)
	l := &lister{events: [][]byte{eventJSON("evt_missed", "customer.updated", time.Now().Add(-time.Hour), false, stripe.APIVersion)}}
	ctx, cancel := context.WithCancel(context.Background())
	woken := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ReconcileEvery(ctx, slog.New(slog.DiscardHandler), l, db, func() {
			select {
			case woken <- struct{}{}:
			default:
			}
		}, stripe.APIVersion, false, time.Millisecond)
	}()
	<-woken
	cancel()
	<-done
	ev, err := db.Event(context.Background(), "evt_missed")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != paywarden.EventPending || ev.Endpoint != ReconcileEndpoint {
		t.Errorf("got %s at %s, want pending at %s", ev.Status, ev.Endpoint, ReconcileEndpoint)
	}
}

// TestIngestPoisonedEvent: an event a store refuses (here one that skipped
// the receiver's checks, with a NUL in its type) fails alone; the valid
// events submitted with it are committed, on both stores. Before, the
// whole group commit failed with it, forever on PostgreSQL.
func TestIngestPoisonedEvent(t *testing.T) {
	stores := map[string]func(t *testing.T) EventInserter{
		"sqlite": func(t *testing.T) EventInserter { return openDB(t) },
		"postgres": func(t *testing.T) EventInserter {
			db := postgrestest.Open(t)
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return db
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			in := NewIngest(IngestOptions{Store: st, MaxBatch: 64})
			defer in.Close()
			ctx := context.Background()
			const n = 30
			var wg sync.WaitGroup
			results := make([]error, n)
			for i := range n {
				wg.Go(func() {
					e := storedEvent(fmt.Sprintf("evt_p%d", i), stripe.APIVersion)
					if i%10 == 3 {
						e.Type = "customer.\x00updated"
					}
					_, results[i] = in.Submit(ctx, e)
				})
			}
			wg.Wait()
			for i, err := range results {
				poisoned := i%10 == 3
				switch {
				case poisoned && paywarden.ErrorCode(err) != paywarden.EINVALID:
					t.Errorf("poisoned evt_p%d: got %v, want EINVALID", i, err)
				case !poisoned && err != nil:
					t.Errorf("valid evt_p%d failed with the poisoned ones: %v", i, err)
				}
			}
		})
	}
}

// gatedStore holds its first InsertEvents until released, so that the
// requests that come meanwhile queue up for the next commit.
type gatedStore struct {
	EventInserter
	entered, release chan struct{}
	once             sync.Once
}

func (g *gatedStore) InsertEvents(ctx context.Context, es []*paywarden.Event) ([]bool, error) {
	g.once.Do(func() { close(g.entered); <-g.release })
	return g.EventInserter.InsertEvents(ctx, es)
}

// TestIngestBusyAfterABurst: a trickle of single-event commits is not a
// burst; a commit of events that queued behind another is.
func TestIngestBusyAfterABurst(t *testing.T) {
	g := &gatedStore{EventInserter: openDB(t), entered: make(chan struct{}), release: make(chan struct{})}
	in := NewIngest(IngestOptions{Store: g})
	defer in.Close()
	// A clock that stands still until told, set before any event.
	at := time.Now()
	in.now = func() time.Time { return at }
	ctx := context.Background()
	if in.Busy() {
		t.Fatal("Busy before any event")
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := in.Submit(ctx, storedEvent("evt_first", stripe.APIVersion)); err != nil {
			t.Error(err)
		}
	})
	<-g.entered
	if in.Busy() {
		t.Error("Busy with one event in its commit")
	}
	for i := range 2 * burstBatch {
		wg.Go(func() {
			if _, err := in.Submit(ctx, storedEvent(fmt.Sprintf("evt_%d", i), stripe.APIVersion)); err != nil {
				t.Error(err)
			}
		})
	}
	for in.batcher.Len() < 2*burstBatch {
		runtime.Gosched()
	}
	close(g.release)
	wg.Wait()
	if !in.Busy() {
		t.Errorf("not Busy right after a commit of %d queued events", 2*burstBatch)
	}
	in.now = func() time.Time { return at.Add(burstFor + time.Second) }
	if in.Busy() {
		t.Errorf("still Busy %v after the burst", burstFor+time.Second)
	}
}
