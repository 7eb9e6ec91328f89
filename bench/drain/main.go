// Command drain measures how fast paywarden's workers drain a backlog, and
// what a backlog costs the internal API, on a fresh SQLite file, with the
// real processor (internal/eventproc) and Stripe client against stripe-mock.
//
//	go run ./bench/drain -mode drain [-events 20000]
//	go run ./bench/drain -mode priority [-events 10000] [-requests 200] [-rps 8] [-no-priority]
//
// drain: a backlog of non-money events (customer.updated, four versions per
// customer in distinct seconds, as a busy account sends them) is stored,
// then the workers are started and timed until nothing is pending.
//
// priority: a backlog of money-moving events (payment_intent.*, two per
// intent in the same second: a tie, so every intent is re-fetched) is
// stored. POST /v1/payments is measured at a steady -rps, below the test
// key's rate limit (20/s), first with the workers stopped (idle), then
// with them draining the backlog through the same client and rate limit.
// It prints both p99s and their ratio. -no-priority makes the workers'
// fetches ordinary calls, as before the limiter had priorities.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
	"github.com/paywarden/paywarden/internal/eventproc"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/stripeapi/stripemock"
)

func main() {
	mode := flag.String("mode", "drain", "drain or priority")
	events := flag.Int("events", 0, "backlog size (default 20000 for drain, 10000 for priority)")
	requests := flag.Int("requests", 200, "priority: POST /v1/payments per phase")
	rps := flag.Float64("rps", 8, "priority: API requests per second")
	noPriority := flag.Bool("no-priority", false, "priority: workers' fetches are not background calls")
	flag.IntVar(&batchSize, "batch", 0, "events a worker claims at once (0: eventproc's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var err error
	switch *mode {
	case "drain":
		err = drain(cmp(*events, 20000))
	case "priority":
		err = priority(cmp(*events, 10000), *requests, *rps, !*noPriority)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		log.Print(err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

var batchSize int

func cmp(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// env is a fresh store and a Stripe client against stripe-mock.
type env struct {
	store *sqlite.DB
	sc    *stripeapi.Client
	stop  func()
}

func setup(ctx context.Context, rateLimit float64) (*env, error) {
	mock, err := stripemock.Start(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "paywarden-bench-drain")
	if err != nil {
		mock.Stop()
		return nil, err
	}
	store, err := sqlite.Open(ctx, filepath.Join(dir, "paywarden.db"), nil)
	if err == nil {
		_, err = store.Migrate(ctx)
	}
	if err != nil {
		mock.Stop()
		os.RemoveAll(dir)
		return nil, err
	}
	key := paywarden.NewSecret("sk_" + "test_" + strings.Repeat("d", 24))
	sc, err := stripeapi.New(stripeapi.Config{
		Keys:       map[string]paywarden.Secret{paywarden.CapabilityDefault: key},
		APIBase:    mock.URL,
		RateLimit:  rateLimit,
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	return &env{store: store, sc: sc, stop: func() { store.Close(); mock.Stop(); os.RemoveAll(dir) }}, nil
}

// store inserts events in batches, as the group commit would.
func (e *env) insert(ctx context.Context, evs []*paywarden.Event) error {
	for len(evs) > 0 {
		n := min(len(evs), 500)
		if _, err := e.store.InsertEvents(ctx, evs[:n]); err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

func event(id, typ, objType, objID string, created time.Time, object string) *paywarden.Event {
	payload := fmt.Appendf(nil, `{"id":%q,"object":"event","type":%q,"created":%d,"livemode":false,"api_version":%q,"data":{"object":%s}}`,
		id, typ, created.Unix(), stripeapi.APIVersion, object)
	return &paywarden.Event{ID: id, Type: typ, Created: created, APIVersion: stripeapi.APIVersion,
		ObjectID: objID, ObjectType: objType, Endpoint: "default", Payload: payload}
}

func drain(n int) error {
	ctx := context.Background()
	e, err := setup(ctx, 0)
	if err != nil {
		return err
	}
	defer e.stop()
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	var evs []*paywarden.Event
	for i := range n {
		c, v := i/4, i%4
		cus := fmt.Sprintf("cus_bench%08d", c)
		obj := fmt.Sprintf(`{"id":%q,"object":"customer","created":%d,"email":"c%d-v%d@example.com","livemode":false,"metadata":{"plan":"pro","region":"eu"},"name":"Customer %d","padding":%q}`,
			cus, base.Unix(), c, v, c, strings.Repeat("x", 1500))
		evs = append(evs, event(fmt.Sprintf("evt_bench%08d", i), "customer.updated", paywarden.ObjectCustomer, cus,
			base.Add(time.Duration(c)*time.Second/4+time.Duration(v)*time.Hour), obj))
	}
	if err := e.insert(ctx, evs); err != nil {
		return err
	}
	return timeDrain(ctx, e, n)
}

// timeDrain runs the workers until all n events are processed (the
// processed counter, so that polling costs nothing) and prints the rate.
func timeDrain(ctx context.Context, e *env, n int) error {
	reg := prometheus.NewRegistry()
	p := eventproc.New(eventproc.Options{Store: e.store, Fetcher: stripeapi.Worker{Client: e.sc}, Owner: "bench",
		Batch: batchSize, Metrics: eventproc.NewMetrics(reg)})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start, cpu0 := time.Now(), cpuTime()
	go func() { p.Run(wctx); close(done) }()
	for processed(reg) < n {
		time.Sleep(5 * time.Millisecond)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	cancel()
	<-done
	c, err := e.store.CountEvents(ctx)
	if err != nil {
		return err
	}
	// cores: the CPU this process got, which on a shared machine says how
	// much of the wall time was spent waiting for a core.
	fmt.Printf("drain: %d non-money events (customer.updated) in %v: %.0f events/s, cores=%.2f, %.0f events per CPU-second; statuses %v\n",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), cpu.Seconds()/elapsed.Seconds(), float64(n)/cpu.Seconds(), c)
	return nil
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processed reads paywarden_events_processed_total{result="processed"}.
func processed(reg *prometheus.Registry) int {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "paywarden_events_processed_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == "processed" {
					return int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return 0
}

func priority(n, requests int, rps float64, prio bool) error {
	ctx := context.Background()
	e, err := setup(ctx, stripeapi.DefaultTestRate)
	if err != nil {
		return err
	}
	defer e.stop()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	var evs []*paywarden.Event
	for i := range n {
		pi := fmt.Sprintf("pi_bench%08d", i/2)
		obj := fmt.Sprintf(`{"id":%q,"object":"payment_intent","amount":2000,"currency":"usd","status":"succeeded","created":%d,"livemode":false}`, pi, base.Unix())
		evs = append(evs, event(fmt.Sprintf("evt_bench%08d", i), "payment_intent.succeeded", paywarden.ObjectPaymentIntent, pi,
			base.Add(time.Duration(i/2)*time.Second), obj))
	}
	if err := e.insert(ctx, evs); err != nil {
		return err
	}
	token, rec, err := paywarden.NewToken("bench", []string{paywarden.ScopePaymentsWrite})
	if err != nil {
		return err
	}
	if err := e.store.CreateToken(ctx, rec); err != nil {
		return err
	}
	a := api.New(api.Options{Store: e.store, Stripe: e.sc, Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/v1/payments"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 30 * time.Second}
	seq := 0
	post := func() (time.Duration, error) {
		seq++
		req, _ := http.NewRequest("POST", url, strings.NewReader(`{"amount":2000,"currency":"usd"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "bench-prio-"+strconv.Itoa(seq))
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return 0, fmt.Errorf("paywarden answered %d", resp.StatusCode)
		}
		return time.Since(t), nil
	}
	phase := func() ([]time.Duration, error) {
		var lat []time.Duration
		tick := time.NewTicker(time.Duration(float64(time.Second) / rps))
		defer tick.Stop()
		for range requests {
			<-tick.C
			d, err := post()
			if err != nil {
				return nil, err
			}
			lat = append(lat, d)
		}
		slices.Sort(lat)
		return lat, nil
	}
	for range 10 { // warm up
		if _, err := post(); err != nil {
			return err
		}
	}
	idle, err := phase()
	if err != nil {
		return err
	}
	var fetcher eventproc.Fetcher = stripeapi.Worker{Client: e.sc}
	if !prio {
		fetcher = e.sc
	}
	p := eventproc.New(eventproc.Options{Store: e.store, Fetcher: fetcher, Owner: "bench", Batch: batchSize})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(wctx); close(done) }()
	time.Sleep(2 * time.Second) // the workers reach their steady state
	busy, err := phase()
	cancel()
	<-done
	if err != nil {
		return err
	}
	c, _ := e.store.CountEvents(ctx)
	p99 := func(l []time.Duration) time.Duration { return l[min(len(l)-1, len(l)*99/100)] }
	p50 := func(l []time.Duration) time.Duration { return l[len(l)/2] }
	fmt.Printf("priority (background fetches %s): POST /v1/payments at %.0f/s, %d per phase, rate limit %d/s; backlog %d money-moving events (%d re-fetches), %d processed meanwhile\n",
		map[bool]string{true: "on", false: "off"}[prio], rps, requests, stripeapi.DefaultTestRate, n, n/2, c[paywarden.EventProcessed])
	fmt.Printf("  idle:         p50 %v p99 %v\n", p50(idle).Round(10*time.Microsecond), p99(idle).Round(10*time.Microsecond))
	fmt.Printf("  with backlog: p50 %v p99 %v\n", p50(busy).Round(10*time.Microsecond), p99(busy).Round(10*time.Microsecond))
	fmt.Printf("  ratio p99 backlog/idle: %.2fx\n", float64(p99(busy))/float64(p99(idle)))
	return nil
}
