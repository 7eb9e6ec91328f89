package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// overload measures what paywarden acknowledges per second on SQLite with
// 32 senders, then offers twice that rate, open-loop (a new delivery on
// schedule whether or not earlier ones were answered, as Stripe does), for
// -overload-for. Every answer must be 200 or 503 within -timeout, the peak
// resident memory must stay under -max-rss, and after a SIGTERM every event
// answered 200 is stored.
func overload(ctx context.Context, s *suite, r *result) {
	dir, err := s.caseDir("overload")
	if err != nil {
		r.failf("%v", err)
		return
	}
	dbURL := "sqlite:" + filepath.Join(dir, "paywarden.db")
	e, err := s.newEnv(dir, dbURL)
	if err != nil {
		r.failf("%v", err)
		return
	}
	p, err := s.serve(ctx, dir, e)
	if err != nil {
		r.failf("%v", err)
		return
	}
	l := newLedger(200, 0)
	c := newClient(s.cfg.timeout, 64)

	// Capacity: closed-loop, 32 senders.
	measure := time.Duration(pick(s.cfg.short, 3, 6)) * time.Second
	mctx, stop := context.WithTimeout(ctx, measure)
	t0 := time.Now()
	l.load(mctx, c, p.URL, e.secret, 32, 1<<30)
	stop()
	acked, _, _, _ := l.counts()
	capacity := float64(acked) / time.Since(t0).Seconds()
	baseRSS, _ := p.rss()
	if capacity < 1 {
		r.failf("nothing acknowledged while measuring capacity")
		return
	}

	// Twice the capacity, open-loop, at most maxInflight deliveries waiting.
	// The events are made and signed beforehand (well within the signature
	// tolerance), so that the sender, on the same cores, spends its CPU on
	// sending them.
	rate := 2 * capacity
	type signed struct {
		id, sig string
		body    []byte
	}
	pre := make([]signed, min(int(rate*s.cfg.overloadFor.Seconds())+1, 500000))
	for i := range pre {
		id, body := l.next(false)
		pre[i] = signed{id, sign(e.secret, body), body}
	}
	const maxInflight = 20000
	maxConns := s.cfg.overloadConns
	var inflight, notOffered atomic.Int64
	var mu sync.Mutex
	counts := map[string]int{}
	var lat200, lat503 []time.Duration
	var firstErr string
	var maxRSS atomic.Int64
	sctx, stopSampler := context.WithCancel(ctx)
	go func() { // memory, every 100 ms
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for sctx.Err() == nil {
			if cur, _ := p.rss(); cur > maxRSS.Load() {
				maxRSS.Store(cur)
			}
			select {
			case <-t.C:
			case <-sctx.Done():
			}
		}
	}()
	// HTTP/1.1 over a pool of keep-alive connections, as Stripe's
	// deliveries arrive; a delivery waits in the client for a free
	// connection, and its time is counted from when it was written.
	oc := newClient(0, maxConns)
	oc.Transport.(*http.Transport).ForceAttemptHTTP2 = false
	oc.Transport.(*http.Transport).MaxConnsPerHost = maxConns
	defer oc.CloseIdleConnections()
	var wg sync.WaitGroup
	start := time.Now()
	offered := 0
	tick := time.NewTicker(2 * time.Millisecond)
	// Every prepared delivery is offered: when this process is starved of
	// CPU the schedule slips, and the rate achieved is reported.
	for now := range tick.C {
		el := now.Sub(start)
		if offered == len(pre) || el > 4*s.cfg.overloadFor || ctx.Err() != nil {
			break
		}
		for due := min(int(rate*el.Seconds()), len(pre)); offered < due; offered++ {
			if inflight.Load() >= maxInflight {
				notOffered.Add(1)
				continue
			}
			inflight.Add(1)
			ev := pre[offered]
			wg.Go(func() {
				defer inflight.Add(-1)
				a, d, written := sendTimed(ctx, oc, p.URL, ev.sig, ev.body, s.cfg.timeout)
				l.record(ctx, ev.id, a)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case !written:
					counts["unsent"]++
				case a.timeout || d > s.cfg.timeout:
					counts["timeout"]++
				case a.err != nil:
					counts["error"]++
					if firstErr == "" {
						firstErr = a.err.Error()
					}
				case a.status == 200:
					counts["200"]++
					lat200 = append(lat200, d)
				case a.status == 503:
					counts["503"]++
					lat503 = append(lat503, d)
				default:
					counts[fmt.Sprint(a.status)]++
				}
			})
		}
	}
	tick.Stop()
	offeredFor := time.Since(start)
	wg.Wait()
	stopSampler()
	_, peak := p.rss()
	if err := p.stop(); err != nil {
		r.failf("serve after SIGTERM: %v", err)
	}

	// A shared machine starves processes now and then; a small share of
	// deliveries cut off by the server's own header timeout is reported,
	// not failed (-overload-tolerance).
	tolerated := float64(counts["timeout"]+counts["error"]) <= s.cfg.overloadTolerance*float64(offered)
	for k, n := range counts {
		switch k {
		case "200", "503", "unsent":
		case "error":
			if !tolerated {
				r.failf("%d deliveries got no answer (the first: %s): want 200 or 503 within %s", n, firstErr, s.cfg.timeout)
			}
		case "timeout":
			if !tolerated {
				r.failf("%d deliveries answered after %s or not at all: want 200 or 503 within it", n, s.cfg.timeout)
			}
		default:
			r.failf("%d deliveries answered %s: want 200 or 503 within %s", n, k, s.cfg.timeout)
		}
	}
	achieved := float64(offered) / offeredFor.Seconds()
	switch {
	case counts["503"] > 0:
	case counts["timeout"]+counts["error"] == 0:
		// Group commit takes more per second with more senders: what 32
		// senders measured may be half of what many connections get.
		r.note = fmt.Sprintf("no 503: every delivery was answered 200 within %s at %.1fx the 32-sender capacity", s.cfg.timeout, achieved/capacity)
	case achieved < 1.5*capacity:
		r.note = fmt.Sprintf("the sender achieved only %.1fx the capacity on this machine", achieved/capacity)
	}
	if peak > s.cfg.maxRSS {
		r.failf("peak resident memory %d MiB, over the bound of %d MiB", peak>>20, s.cfg.maxRSS>>20)
	}
	store, err := openStore(ctx, dbURL)
	if err != nil {
		r.failf("%v", err)
		return
	}
	defer store.Close()
	stored := l.checkStored(ctx, store, r)
	r.figures = fmt.Sprintf("capacity %.0f/s (32 senders); offered %.0f/s (%.1fx) for %s (%d deliveries, %d not offered at %d waiting): "+
		"200: %d (p50 %s, p99 %s), 503: %d (p50 %s, p99 %s), timeouts %d, unanswered %d (tolerance %.1f%%: %v), never written (client pool of %d) %d; RSS %d MiB before, %d MiB max sampled, %d MiB peak (bound %d); %d lost",
		capacity, achieved, achieved/capacity, offeredFor.Round(100*time.Millisecond), offered, notOffered.Load(), maxInflight,
		counts["200"], pct(lat200, .5), pct(lat200, .99), counts["503"], pct(lat503, .5), pct(lat503, .99),
		counts["timeout"], counts["error"], 100*s.cfg.overloadTolerance, tolerated, maxConns, counts["unsent"], baseRSS>>20, maxRSS.Load()>>20, peak>>20, s.cfg.maxRSS>>20, lost(l, stored))
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(p*float64(len(d))))].Round(time.Millisecond)
}

// sendTimed posts a signed event and returns the answer, the time from the
// request written to the answer's headers, and whether it was written at
// all within timeout plus 30s (it may wait for a connection of the pool).
func sendTimed(ctx context.Context, c *http.Client, base, sig string, body []byte, timeout time.Duration) (answer, time.Duration, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	var wrote atomic.Int64
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(time.Now().UnixNano()) },
	})
	a := sendSigned(ctx, c, base, sig, body)
	w := wrote.Load()
	if w == 0 {
		return a, 0, false
	}
	d := time.Since(time.Unix(0, w))
	if a.err != nil && ctx.Err() != nil {
		a.timeout = true
	}
	return a, d, true
}
