// Command reliability drives the real paywarden binary through failures and
// prints a table of what it measured (docs/RELIABILITY.md):
//
//   - kill -9 cycles under load on SQLite and on PostgreSQL, then a ledger
//     check: every event answered 2xx is stored, none is stored twice, and
//     every stored event is processed exactly once;
//   - with strace, that each event's fsync completes before its 2xx is written;
//   - a full disk (a small tmpfs): answers are 200 or 503, nothing answered
//     200 is lost;
//   - twice the measured capacity: answers are 200 or 503, never a timeout,
//     and the resident memory stays under a bound;
//   - three PostgreSQL replicas, one killed with SIGKILL midway;
//   - the release binary in an empty root, as the Dockerfile's image runs it,
//     and the systemd unit through systemd-analyze verify.
//
// It talks to 127.0.0.1 only, every loop is bounded in count and time, and
// every process and mount it makes is gone when it exits. -short is the form
// CI runs (`make reliability-short`); the default is `make reliability`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is what the flags choose.
type config struct {
	short        bool
	only         map[string]bool
	pgURL        string
	sqliteCycles int
	pgCycles     int
	overloadFor  time.Duration
	maxRSS       int64 // bytes
	timeout      time.Duration
	// overloadTolerance is the share of deliveries under overload that may
	// time out or go unanswered without failing the case.
	overloadTolerance float64
	keep              bool
	overloadConns     int
	staticBin         string
}

func main() {
	os.Exit(run())
}

func run() int {
	var c config
	var only string
	var maxRSSMiB int64
	flag.BoolVar(&c.short, "short", false, "the bounded form CI runs (fewer cycles, shorter loads)")
	flag.StringVar(&only, "only", "", "comma-separated cases to run: "+strings.Join(caseNames(), ","))
	flag.StringVar(&c.pgURL, "pg-url", envOr("PAYWARDEN_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		`PostgreSQL base URL (a fresh schema is made per case); "none" skips the PostgreSQL cases`)
	flag.IntVar(&c.sqliteCycles, "sqlite-cycles", 0, "kill -9 cycles on SQLite (default 50, -short 5)")
	flag.IntVar(&c.pgCycles, "pg-cycles", 0, "kill -9 cycles on PostgreSQL (default 10, -short 2)")
	flag.DurationVar(&c.overloadFor, "overload-for", 0, "how long to offer twice the capacity (default 15s, -short 5s)")
	flag.Int64Var(&maxRSSMiB, "max-rss", 512, "bound on paywarden's peak resident memory under overload, MiB")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "an answer slower than this counts as a timeout (Stripe waits about this long)")
	flag.Float64Var(&c.overloadTolerance, "overload-tolerance", 0.01, "share of deliveries under overload that may time out or go unanswered (a shared machine starves processes)")
	flag.StringVar(&c.staticBin, "static-bin", "dist/paywarden", "the release binary (make release) to run in an empty root")
	flag.IntVar(&c.overloadConns, "overload-conns", 1024, "connections the overload sender may open (docs/RELIABILITY.md: 6000 starves this 2-core machine in TLS handshakes)")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory (logs, traces, databases)")
	flag.Parse()
	c.maxRSS = maxRSSMiB << 20
	if c.sqliteCycles == 0 {
		c.sqliteCycles = pick(c.short, 5, 50)
	}
	if c.pgCycles == 0 {
		c.pgCycles = pick(c.short, 2, 10)
	}
	if c.overloadFor == 0 {
		c.overloadFor = time.Duration(pick(c.short, 5, 15)) * time.Second
	}
	if only != "" {
		c.only = map[string]bool{}
		for _, n := range strings.Split(only, ",") {
			if !slices.Contains(caseNames(), n) {
				fmt.Fprintf(os.Stderr, "reliability: unknown case %q (cases: %s)\n", n, strings.Join(caseNames(), ", "))
				return 2
			}
			c.only[n] = true
		}
	}

	// Ctrl-C stops the cases; the deferred cleanups still run.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := newSuite(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 1
	}
	defer s.close()

	var results []*result
	for _, k := range cases {
		if c.only != nil && !c.only[k.name] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		s.logf("== %s", k.name)
		r := &result{name: k.name, what: k.what}
		start := time.Now()
		k.run(ctx, s, r)
		r.took = time.Since(start)
		s.logf("   %s %s (%s)", r.status(), r.figures, r.took.Round(time.Second))
		results = append(results, r)
	}
	printTable(os.Stdout, s, results)
	for _, r := range results {
		if r.status() == "FAIL" {
			return 1
		}
	}
	return 0
}

func pick(short bool, a, b int) int {
	if short {
		return a
	}
	return b
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// testCase is one row of the table.
type testCase struct {
	name, what string
	run        func(ctx context.Context, s *suite, r *result)
}

var cases = []testCase{
	{"kill9-sqlite", "kill -9 under load, SQLite", killSQLite},
	{"kill9-postgres", "kill -9 under load, PostgreSQL", killPostgres},
	{"fsync-order", "fsync before 2xx (strace)", fsyncOrder},
	{"disk-full", "full disk (tmpfs)", diskFull},
	{"overload", "2x capacity", overload},
	{"pg-replicas", "3 PostgreSQL replicas, one killed", pgReplicas},
	{"empty-root", "release binary in an empty root", emptyRoot},
	{"systemd-unit", "deploy/systemd unit", systemdUnit},
}

func caseNames() []string {
	var n []string
	for _, k := range cases {
		n = append(n, k.name)
	}
	return n
}

// result is what a case found.
type result struct {
	name, what string
	figures    string
	skip       string
	note       string // shown after the figures
	problems   []string
	took       time.Duration
}

func (r *result) failf(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *result) skipf(format string, args ...any) { r.skip = fmt.Sprintf(format, args...) }

func (r *result) status() string {
	switch {
	case len(r.problems) > 0:
		return "FAIL"
	case r.skip != "":
		return "SKIP"
	}
	return "PASS"
}

// printTable prints one row per case, then each failure and skip in full.
func printTable(w *os.File, s *suite, results []*result) {
	fmt.Fprintf(w, "\npaywarden reliability (%s): %d cores, %s, load average %s\n\n",
		map[bool]string{true: "short", false: "full"}[s.cfg.short], runtime.NumCPU(), runtime.Version(), loadavg())
	fmt.Fprintln(w, "| case | what | result | figures | time |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range results {
		fig := r.figures
		if r.skip != "" {
			fig = "skipped: " + r.skip
		}
		if r.note != "" {
			fig += "; NOTE: " + r.note
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.name, r.what, r.status(), fig, r.took.Round(100*time.Millisecond))
	}
	for _, r := range results {
		for i, p := range r.problems {
			if i == 20 {
				fmt.Fprintf(w, "%s: ... and %d more\n", r.name, len(r.problems)-i)
				break
			}
			fmt.Fprintf(w, "%s: FAIL: %s\n", r.name, p)
		}
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// buildBinary builds paywarden once for the run, as `make build` does.
func buildBinary(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "paywarden")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/paywarden")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/paywarden: %v\n%s", err, out)
	}
	return bin, nil
}
