package main

// Issue 3 under failure: the real binary killed with SIGKILL while it takes
// events (SQLite), and replicas sharing PostgreSQL, one of them killed.

import (
	"context"
	"database/sql"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
)

// eventSource makes customer.updated events for a fixed set of customers,
// each newer than the last for its customer.
type eventSource struct {
	mu        sync.Mutex
	customers []string
	seq       int64
	base      int64
	sent      []event
}

func newEventSource(customers int) *eventSource {
	s := &eventSource{base: time.Now().Add(-2 * time.Hour).Unix()}
	for range customers {
		s.customers = append(s.customers, "cus_"+randAlnum(14))
	}
	return s
}

// next returns a new event, or now and then one already made (Stripe
// redelivers).
func (s *eventSource) next() event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) > 0 && rand.IntN(4) == 0 {
		return s.sent[rand.IntN(len(s.sent))]
	}
	s.seq++
	e := customerEvent(s.customers[rand.IntN(len(s.customers))], int(s.seq), s.base)
	s.sent = append(s.sent, e)
	return e
}

// ackSet records the events a server answered 2xx.
type ackSet struct {
	mu  sync.Mutex
	ids map[string]event
}

func (a *ackSet) add(e event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ids == nil {
		a.ids = map[string]event{}
	}
	a.ids[e.ID] = e
}

func (a *ackSet) all() map[string]event {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]event, len(a.ids))
	for k, v := range a.ids {
		out[k] = v
	}
	return out
}

// checkMirror checks that each customer's mirror holds its newest stored
// event's state.
func checkMirror(t *testing.T, st paywarden.Store, stored map[string]*paywarden.Event) {
	t.Helper()
	newest := map[string]*paywarden.Event{}
	for _, e := range stored {
		if n := newest[e.ObjectID]; n == nil || e.Created.After(n.Created) {
			newest[e.ObjectID] = e
		}
	}
	for id, e := range newest {
		obj, err := st.Object(context.Background(), paywarden.ObjectCustomer, id)
		if err != nil {
			t.Errorf("customer %s: %v", id, err)
			continue
		}
		if obj.EventID != e.ID || !obj.Version.Equal(e.Created) {
			t.Errorf("customer %s: mirror from %s of %s, want the newest event %s of %s", id, obj.EventID, obj.Version, e.ID, e.Created)
		}
	}
}

// TestCrashSQLite kills the real binary with SIGKILL at a random moment
// while goroutines send it events, three times, and restarts it each time:
// every event answered 2xx is stored, the database is intact, and after a
// last restart every stored event is processed exactly once.
func TestCrashSQLite(t *testing.T) {
	dir := t.TempDir()
	fs := newFakeStripe(t)
	env := devEnv(dir, fs.URL)
	fs.allowKey(env["STRIPE_SECRET_KEY"])
	secret := env["STRIPE_WEBHOOK_SECRET"]
	src := newEventSource(25)
	var acked ackSet
	var stderrs []string

	for round := range 3 {
		p := startProc(t, dir, env)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		budget := 400 // posts per round, so that a slow machine stays bounded
		for range 4 {
			wg.Go(func() {
				for ctx.Err() == nil {
					mu.Lock()
					budget--
					ok := budget >= 0
					mu.Unlock()
					if !ok {
						return
					}
					e := src.next()
					status, _, err := postEvent(p.URL, secret, e.body())
					if err != nil {
						return // killed
					}
					if status/100 == 2 {
						acked.add(e)
					} else if status != 503 {
						t.Errorf("round %d: %s answered %d", round, e.ID, status)
					}
				}
			})
		}
		// The moment of the crash is random, up to a second into the load.
		time.Sleep(time.Duration(50+rand.IntN(950)) * time.Millisecond)
		p.kill()
		stop()
		wg.Wait()
		stderrs = append(stderrs, p.stderr.String())
		t.Logf("round %d: %d events acknowledged so far", round, len(acked.all()))
	}

	dbPath := strings.TrimPrefix(env["PAYWARDEN_DATABASE_URL"], "sqlite:")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var integrity string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check after SIGKILLs: %q %v", integrity, err)
	}
	db.Close()

	st := openSQLite(t, env)
	ack := acked.all()
	stored := allEvents(t, st)
	for id := range ack {
		if stored[id] == nil {
			t.Errorf("%s was answered 2xx but is not stored", id)
		}
	}
	if len(ack) == 0 {
		t.Fatal("no event was acknowledged")
	}

	// A killed process keeps the leases of events it had claimed until
	// they expire (a minute); an operator's replay hands them out now.
	out, errOut, code, _ := runCmd(t, env, "events", "replay", "--status", "pending")
	if code != 0 {
		t.Fatalf("events replay: exit %d: %s%s", code, out, errOut)
	}
	t.Logf("%d stored; %s", len(stored), out)
	p := startProc(t, dir, env)
	waitProcessed(t, st, len(stored))
	// Redeliveries after all this are duplicates.
	n := 0
	for _, e := range ack {
		if n++; n > 30 {
			break
		}
		status, body, err := postEvent(p.URL, secret, e.body())
		if err != nil || status != 200 || !strings.Contains(body, `"duplicate":true`) {
			t.Errorf("redelivery of %s: %d %s %v, want a duplicate", e.ID, status, body, err)
		}
	}
	if err := p.signalAndWait(t, syscall.SIGTERM); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	stderrs = append(stderrs, p.stderr.String())

	stored = allEvents(t, st)
	for id, e := range stored {
		if e.Status != paywarden.EventProcessed || e.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts, want processed after 1", id, e.Status, e.Attempts)
		}
	}
	checkMirror(t, st, stored)
	noSecrets(t, "serve's stderr", stderrs, env["STRIPE_SECRET_KEY"], secret)
}

// TestPostgresReplicas runs three serve processes on one PostgreSQL
// database and spreads events across them, each delivered one to three
// times; one replica is killed with SIGKILL midway and its deliveries go
// to the others, as Stripe's retries would. Every event is stored once and
// processed once, and the mirror holds the newest state.
func TestPostgresReplicas(t *testing.T) {
	url := postgrestest.URL(t)
	dir := t.TempDir()
	fs := newFakeStripe(t)
	env := with(devEnv(dir, fs.URL), "PAYWARDEN_DATABASE_URL", url)
	fs.allowKey(env["STRIPE_SECRET_KEY"])
	secret := env["STRIPE_WEBHOOK_SECRET"]
	if out, errOut, code, _ := runCmd(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s%s", code, out, errOut)
	}
	var procs []*proc
	for range 3 {
		procs = append(procs, startProc(t, dir, env))
	}

	base := time.Now().Add(-time.Hour).Unix()
	var evs []event
	for range 30 {
		id := "cus_" + randAlnum(14)
		for n := 1; n <= 5; n++ {
			evs = append(evs, customerEvent(id, n, base))
		}
	}
	var ds []delivery
	for _, e := range evs {
		for range 1 + rand.IntN(3) {
			ds = append(ds, delivery{e, e.body()})
		}
	}
	rand.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })

	var dead sync.Map // proc index -> true
	killAt := len(ds) / 3
	var sent sync.WaitGroup
	ch := make(chan delivery)
	var mu sync.Mutex
	created := map[string]int{}
	for range 6 {
		sent.Go(func() {
			for d := range ch {
				for try := 0; ; try++ {
					i := rand.IntN(len(procs))
					if _, ok := dead.Load(i); ok {
						continue
					}
					status, body, err := postEvent(procs[i].URL, secret, d.body)
					if err != nil || status == 503 {
						if try > 20 {
							t.Errorf("%s: no replica took it: %d %v", d.ev.ID, status, err)
							break
						}
						continue // as Stripe retries, maybe elsewhere
					}
					if status != 200 {
						t.Errorf("%s: %d %s", d.ev.ID, status, body)
					}
					mu.Lock()
					if !strings.Contains(body, `"duplicate":true`) {
						created[d.ev.ID]++
					}
					mu.Unlock()
					break
				}
			}
		})
	}
	for i, d := range ds {
		if i == killAt {
			dead.Store(0, true)
			procs[0].kill()
		}
		ch <- d
	}
	close(ch)
	sent.Wait()
	for _, e := range evs {
		if created[e.ID] > 1 {
			t.Errorf("%s stored %d times", e.ID, created[e.ID])
		}
	}

	// The killed replica's leases last a minute; an operator's replay
	// hands them to the others now.
	if out, errOut, code, _ := runCmd(t, env, "events", "replay", "--status", "pending"); code != 0 {
		t.Fatalf("events replay: exit %d: %s%s", code, out, errOut)
	}
	st, err := postgres.Open(context.Background(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitProcessed(t, st, len(evs))
	for _, p := range procs[1:] {
		if err := p.signalAndWait(t, syscall.SIGTERM); err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	}

	stored := allEvents(t, st)
	if len(stored) != len(evs) {
		t.Errorf("%d events stored, want %d", len(stored), len(evs))
	}
	for _, e := range evs {
		got := stored[e.ID]
		if got == nil {
			t.Errorf("%s was acknowledged but is not stored", e.ID)
			continue
		}
		if got.Status != paywarden.EventProcessed || got.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts, want processed after 1", e.ID, got.Status, got.Attempts)
		}
	}
	checkMirror(t, st, stored)
	var outs []string
	for _, p := range procs {
		outs = append(outs, p.stderr.String())
	}
	noSecrets(t, "serve's stderr", outs, env["STRIPE_SECRET_KEY"], secret)
}
