package main

// kill -9 under load, and PostgreSQL replicas with one killed.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func killSQLite(ctx context.Context, s *suite, r *result) {
	dir, err := s.caseDir("kill9-sqlite")
	if err != nil {
		r.failf("%v", err)
		return
	}
	killCycles(ctx, s, r, dir, "sqlite:"+dir+"/paywarden.db", s.cfg.sqliteCycles)
}

func killPostgres(ctx context.Context, s *suite, r *result) {
	dir, err := s.caseDir("kill9-postgres")
	if err != nil {
		r.failf("%v", err)
		return
	}
	url, err := s.pgSchema(ctx)
	if err != nil {
		r.skipf("%v", err)
		return
	}
	killCycles(ctx, s, r, dir, url, s.cfg.pgCycles)
}

// killCycles starts paywarden on dbURL, sends it events from four
// goroutines (a quarter of them redeliveries), kills it with SIGKILL at a
// random moment up to a second into the load, and does it again, cycles
// times. Then an operator's `events replay --status pending` (a killed
// process keeps its leases for a minute), one more start, and the ledger:
// every 2xx stored, none stored twice, every event processed once, the
// mirror at each customer's newest event, redeliveries answered duplicate.
func killCycles(ctx context.Context, s *suite, r *result, dir, dbURL string, cycles int) {
	e, err := s.newEnv(dir, dbURL)
	if err != nil {
		r.failf("%v", err)
		return
	}
	if _, err := s.command(ctx, dir, e, "migrate"); err != nil {
		r.failf("%v", err)
		return
	}
	l := newLedger(25, 0)
	c := newClient(10*time.Second, 8)
	var starts []time.Duration
	for i := range cycles {
		if ctx.Err() != nil {
			return
		}
		p, err := s.serve(ctx, dir, e)
		if err != nil {
			r.failf("cycle %d: %v", i, err)
			return
		}
		starts = append(starts, p.started)
		lctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { l.load(lctx, c, p.URL, e.secret, 4, 400); close(done) }()
		time.Sleep(time.Duration(50+rand.IntN(950)) * time.Millisecond)
		p.kill()
		stop()
		<-done
		c.CloseIdleConnections()
	}
	if strings.HasPrefix(dbURL, "sqlite:") {
		if err := integrity(strings.TrimPrefix(dbURL, "sqlite:")); err != nil {
			r.failf("after %d kills: %v", cycles, err)
		}
	}
	if _, err := s.command(ctx, dir, e, "events", "replay", "--status", "pending"); err != nil {
		r.failf("%v", err)
		return
	}
	p, err := s.serve(ctx, dir, e)
	if err != nil {
		r.failf("restart: %v", err)
		return
	}
	// Redeliveries of acknowledged events, after everything: duplicates.
	l.mu.Lock()
	var again []string
	for id := range l.acked {
		if again = append(again, id); len(again) == 30 {
			break
		}
	}
	l.mu.Unlock()
	for _, id := range again {
		a := send(ctx, c, p.URL, e.secret, l.bodies[id])
		if a.err != nil || a.status != 200 || a.created {
			r.failf("redelivery of %s after the kills: status %d, new %v, %v; want a 200 duplicate", id, a.status, a.created, a.err)
		}
	}
	st, err := openStore(ctx, dbURL)
	if err != nil {
		r.failf("%v", err)
		return
	}
	processedErr := waitProcessed(ctx, st, 2*time.Minute)
	st.Close()
	if err := p.stop(); err != nil {
		r.failf("serve after SIGTERM: %v", err)
	}
	if processedErr != nil {
		r.failf("workers: %v", processedErr)
	}
	st, err = openStore(ctx, dbURL)
	if err != nil {
		r.failf("%v", err)
		return
	}
	defer st.Close()
	stored := l.checkStored(ctx, st, r)
	checkProcessedOnce(ctx, st, stored, r)
	acked, twice, status, errs := l.counts()
	if acked == 0 {
		r.failf("no event was acknowledged")
	}
	slices.Sort(starts)
	r.figures = fmt.Sprintf("%d kills; %d events acked, %d stored, %d lost, %d stored twice; answers %s, %d cut by the kill; "+
		"all processed once: %v; start to listening p50 %s max %s",
		cycles, acked, len(stored), lost(l, stored), twice, statusText(status), errs,
		len(r.problems) == 0, starts[len(starts)/2].Round(10*time.Millisecond), starts[len(starts)-1].Round(10*time.Millisecond))
}

// lost counts the events answered 2xx that are not in stored.
func lost[T any](l *ledger, stored map[string]T) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for id := range l.acked {
		if _, ok := stored[id]; !ok {
			n++
		}
	}
	return n
}

// pgReplicas runs three serve processes on one PostgreSQL schema and
// spreads events across them, each delivered one to three times; one
// replica is killed with SIGKILL a third of the way in, and its deliveries
// go to the others, as Stripe's retries would. Every event is stored once
// and processed once, and the mirror holds the newest state.
func pgReplicas(ctx context.Context, s *suite, r *result) {
	dir, err := s.caseDir("pg-replicas")
	if err != nil {
		r.failf("%v", err)
		return
	}
	url, err := s.pgSchema(ctx)
	if err != nil {
		r.skipf("%v", err)
		return
	}
	e, err := s.newEnv(dir, url)
	if err != nil {
		r.failf("%v", err)
		return
	}
	if _, err := s.command(ctx, dir, e, "migrate"); err != nil {
		r.failf("%v", err)
		return
	}
	var procs []*server
	for i := range 3 {
		p, err := s.serve(ctx, dir, e)
		if err != nil {
			r.failf("replica %d: %v", i, err)
			return
		}
		procs = append(procs, p)
	}
	n := pick(s.cfg.short, 150, 600)
	l := newLedger(30, 0)
	var ids []string
	for range n {
		id, _ := l.next(false)
		for range 1 + rand.IntN(3) {
			ids = append(ids, id)
		}
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })

	c := newClient(10*time.Second, 8)
	var dead atomic.Bool
	var rerouted atomic.Int64
	ch := make(chan string)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for id := range ch {
				for try := 0; ; try++ {
					i := rand.IntN(len(procs))
					if i == 0 && dead.Load() {
						continue
					}
					a := send(ctx, c, procs[i].URL, e.secret, l.bodies[id])
					if a.err != nil || a.status == 503 {
						rerouted.Add(1)
						if try > 20 || ctx.Err() != nil {
							l.record(ctx, id, a)
							break
						}
						continue // as Stripe retries, maybe elsewhere
					}
					l.record(ctx, id, a)
					break
				}
			}
		})
	}
	killAt := len(ids) / 3
	for i, id := range ids {
		if i == killAt {
			dead.Store(true)
			procs[0].kill()
		}
		ch <- id
	}
	close(ch)
	wg.Wait()

	if _, err := s.command(ctx, dir, e, "events", "replay", "--status", "pending"); err != nil {
		r.failf("%v", err)
		return
	}
	st, err := openStore(ctx, url)
	if err != nil {
		r.failf("%v", err)
		return
	}
	defer st.Close()
	if err := waitProcessed(ctx, st, 2*time.Minute); err != nil {
		r.failf("workers: %v", err)
	}
	for _, p := range procs[1:] {
		if err := p.stop(); err != nil {
			r.failf("serve after SIGTERM: %v", err)
		}
	}
	stored := l.checkStored(ctx, st, r)
	if len(stored) != n {
		r.failf("%d events stored, want %d", len(stored), n)
	}
	checkProcessedOnce(ctx, st, stored, r)
	acked, twice, status, errs := l.counts()
	r.figures = fmt.Sprintf("%d events in %d deliveries over 3 replicas, replica 0 killed after %d; %d acked, %d stored, %d stored twice; "+
		"answers %s, %d unanswered; %d deliveries retried on another replica; all processed once: %v",
		n, len(ids), killAt, acked, len(stored), twice, statusText(status), errs, rerouted.Load(), len(r.problems) == 0)
}
