// Command api measures what paywarden's internal API adds to creating a
// payment: POST /v1/payments through the real handler (loopback HTTP,
// bearer auth, idempotency record on a SQLite file in a temp dir, the
// stripeapi client) against calling stripe-go directly, both against the
// same stripe-mock, at each concurrency level. It prints latencies and the
// ratio paywarden/direct.
//
//	go run ./bench/api [-n 1000] [-c 1,8] [-stripe-latency 0]
//
// stripe-mock answers in about a millisecond; Stripe takes hundreds. With
// -stripe-latency both arms reach stripe-mock through a loopback proxy that
// waits that long first, to show the ratio a service would see.
//
// The client-side rate limit is off in both arms: it exists to stay below
// Stripe's limit, not to be measured here.
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
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/stripeapi/stripemock"
	"github.com/stripe/stripe-go/v85"
)

func main() {
	n := flag.Int("n", 1000, "requests per arm and concurrency level")
	levels := flag.String("c", "1,8", "comma-separated concurrency levels")
	latency := flag.Duration("stripe-latency", 0, "added to every Stripe call by a delaying proxy")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *levels, *latency); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(n int, levels string, latency time.Duration) error {
	ctx := context.Background()
	mock, err := stripemock.Start(ctx)
	if err != nil {
		return err
	}
	defer mock.Stop()
	stripeURL := mock.URL
	if latency > 0 {
		target, _ := url.Parse(mock.URL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
		pl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ps := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(latency)
			proxy.ServeHTTP(w, r)
		})}
		go ps.Serve(pl)
		defer ps.Close()
		stripeURL = "http://" + pl.Addr().String()
	}

	dir, err := os.MkdirTemp("", "paywarden-bench-api")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "paywarden.db"), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	token, rec, err := paywarden.NewToken("bench", []string{paywarden.ScopePaymentsWrite})
	if err != nil {
		return err
	}
	if err := store.CreateToken(ctx, rec); err != nil {
		return err
	}

	key := paywarden.NewSecret("sk_" + "test_" + strings.Repeat("b", 24))
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	sc, err := stripeapi.New(stripeapi.Config{
		Keys:       map[string]paywarden.Secret{paywarden.CapabilityDefault: key},
		APIBase:    stripeURL,
		RateLimit:  -1,
		HTTPClient: &http.Client{Transport: transport, Timeout: 30 * time.Second},
	})
	if err != nil {
		return err
	}
	a := api.New(api.Options{Store: store, Stripe: sc, Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	apiURL := "http://" + ln.Addr().String() + "/v1/payments"
	caller := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

	direct := stripe.NewClient(key.Reveal(), stripe.WithBackends(&stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:        stripe.String(stripeURL),
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second},
		// paywarden:ignore error-retries-disabled a benchmark arm against stripe-mock, which never fails
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelError},
	})}))

	var seq atomic.Int64
	viaPaywarden := func() error {
		req, _ := http.NewRequest("POST", apiURL, strings.NewReader(`{"amount":2000,"currency":"usd"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "bench-"+strconv.FormatInt(seq.Add(1), 10))
		resp, err := caller.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("paywarden answered %d", resp.StatusCode)
		}
		return nil
	}
	viaStripeGo := func() error {
		_, err := direct.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
			Amount: stripe.Int64(2000), Currency: stripe.String("usd"),
		})
		return err
	}

	fmt.Printf("POST /v1/payments via paywarden vs stripe-go direct, both against stripe-mock (+%v); n=%d per arm\n", latency, n)
	fmt.Printf("%-3s %-10s %10s %10s %10s %12s\n", "c", "arm", "mean", "p50", "p99", "req/s")
	for _, f := range strings.Split(levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return fmt.Errorf("bad concurrency %q", f)
		}
		// Warm both arms: connections, SQLite pages, stripe-mock.
		if _, err := measure(c, max(50, n/10), viaStripeGo); err != nil {
			return err
		}
		if _, err := measure(c, max(50, n/10), viaPaywarden); err != nil {
			return err
		}
		d, err := measure(c, n, viaStripeGo)
		if err != nil {
			return err
		}
		p, err := measure(c, n, viaPaywarden)
		if err != nil {
			return err
		}
		d.print(c, "direct")
		p.print(c, "paywarden")
		fmt.Printf("%-3d ratio paywarden/direct: mean %.2fx, p50 %.2fx, p99 %.2fx\n",
			c, ratio(p.mean, d.mean), ratio(p.p50, d.p50), ratio(p.p99, d.p99))
	}
	return nil
}

type result struct {
	mean, p50, p99 time.Duration
	rps            float64
}

func (r result) print(c int, arm string) {
	fmt.Printf("%-3d %-10s %10s %10s %10s %12.0f\n", c, arm, r.mean.Round(time.Microsecond),
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.rps)
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// measure runs n calls of fn on c workers and summarizes their latencies.
func measure(c, n int, fn func() error) (result, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				if err := fn(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return result{}, firstErr
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, l := range lat {
		sum += l
	}
	return result{
		mean: sum / time.Duration(n),
		p50:  lat[n/2],
		p99:  lat[min(n-1, n*99/100)],
		rps:  float64(n) / elapsed.Seconds(),
	}, nil
}
