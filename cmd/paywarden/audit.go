package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/paywarden/paywarden/internal/audit"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runAudit implements "paywarden audit [PATH...]": it scans the trees,
// prints the report and turns it into an exit code: 0 clean or below
// --fail-on, 1 findings at or above it, 2 usage error, 3 scan incomplete.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCmdline("audit", "scan repositories for Stripe security mistakes: secrets, API versions, webhooks, errors, dependencies").
		optArg("PATH", "a directory or git repository to scan (default .)", true).
		note("Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error, 3 scan incomplete. NO_COLOR disables colour.\n"+
			"Each scanned tree's "+audit.ConfigFile+" gives defaults that flags override. See docs/AUDIT.md.").
		example("paywarden audit . --format sarif --fail-on medium > audit.sarif", "paywarden audit --history --baseline .paywarden-baseline.json")
	fs := c.fs
	format := fs.String("format", "text", "output `format`: text, json or sarif")
	failOn := fs.String("fail-on", "", "lowest `severity` that fails the run: low, medium, high or critical (default high)")
	history := fs.Bool("history", false, "also scan every blob in git history for secrets")
	baseline := fs.String("baseline", "", "ignore the findings listed in this baseline `file`")
	writeBaseline := fs.String("write-baseline", "", "write every finding to this baseline `file` and exit 0")
	advisoryDB := fs.String("advisory-db", "", "`FOLDER` of OSV advisories, JSON or YAML (default the embedded snapshot; env PAYWARDEN_ADVISORY_DB)")
	online := fs.Bool("online", false, "also ask the online OSV service about dependencies, when reachable")
	rules := fs.String("rules", "", "comma-separated rule ids or families (secrets, apiversion, webhooks, errors, deps); default all")
	noConfig := fs.Bool("no-config", false, "do not read "+audit.ConfigFile+" from the scanned trees")
	includeVendored := fs.Bool("include-vendored", false, "also scan vendored code (vendor/, third_party/, a Go module cache), reported two severity steps lower")
	fullSeverity := fs.Bool("full-severity", false, "report test, example and vendored code at full severity instead of lower")
	var exclude stringList
	fs.Var(&exclude, "exclude", "skip files matching this .gitignore-style `pattern` (repeatable)")
	if err := c.parse(&env{args: args, getenv: getenv, stdout: stdout, stderr: stderr}); err != nil {
		return err
	}
	paths := c.Args
	var err error
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return usageErrorf("audit: %v", err)
		}
	}
	switch *format {
	case "text", "json", "sarif":
	default:
		return usageErrorf("audit: unknown --format %q (want text, json or sarif)", *format)
	}

	// The configuration of each tree supplies defaults that flags override.
	cfgFailOn, cfgBaseline, cfgRules := "", "", ""
	if !*noConfig {
		for _, p := range paths {
			cfg, err := audit.LoadConfig(p)
			if err != nil {
				return configError(fmt.Errorf("audit: %w", err))
			}
			exclude = append(exclude, cfg.Exclude...)
			if cfgFailOn == "" {
				cfgFailOn = cfg.FailOn
			}
			if cfgBaseline == "" {
				cfgBaseline = cfg.Baseline
			}
			if cfgRules == "" {
				cfgRules = strings.Join(cfg.Rules, ",")
			}
		}
	}
	minSev := audit.High
	if *failOn == "" {
		*failOn = cfgFailOn
	}
	if *failOn != "" {
		if minSev, err = audit.ParseSeverity(*failOn); err != nil || minSev == audit.Info {
			return usageErrorf("audit: --fail-on must be low, medium, high or critical, not %q", *failOn)
		}
	}
	if *rules == "" {
		*rules = cfgRules
	}
	ruleSet, err := audit.ParseRules(*rules)
	if err != nil {
		return usageErrorf("audit: --rules: %v", err)
	}
	if *baseline == "" {
		*baseline = cfgBaseline
	}
	var base *audit.Baseline
	if *baseline != "" {
		if base, err = audit.ReadBaseline(*baseline); err != nil {
			return configError(fmt.Errorf("audit: %w", err))
		}
	}

	opts := audit.Options{Paths: paths, Rules: ruleSet, Exclude: exclude, History: *history,
		IncludeVendored: *includeVendored, FullSeverity: *fullSeverity}
	if ruleSet.Has("dep-vulnerable") {
		dbDir := *advisoryDB
		if dbDir == "" {
			dbDir = getenv("PAYWARDEN_ADVISORY_DB")
		}
		adv, err := audit.LoadAdvisories(dbDir)
		if err != nil {
			return configError(fmt.Errorf("audit: advisory database: %w", err))
		}
		if *online {
			adv = audit.WithOnline(adv, audit.OSVEndpoint, func(err error) {
				fmt.Fprintf(stderr, "paywarden: audit: online advisories unavailable, using the offline database: %v\n", err)
			})
		}
		opts.Advisories = adv
	}

	stop := func() {}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		opts.Progress = &audit.Progress{}
		stop = showProgress(opts.Progress, stderr)
	}
	rep, err := audit.Scan(ctx, opts)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: 3, err: fmt.Errorf("audit: interrupted: scan incomplete")}
		}
		return &exitError{code: 3, err: fmt.Errorf("audit: scan incomplete: %w", err)}
	}
	if opts.Progress != nil {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	if *writeBaseline != "" {
		if err := audit.NewBaseline(rep.Findings).WriteFile(*writeBaseline); err != nil {
			return &exitError{code: 3, err: fmt.Errorf("audit: write baseline: %w", err)}
		}
		fmt.Fprintf(stderr, "paywarden: audit: wrote %d finding(s) to baseline %s\n", len(rep.Findings), *writeBaseline)
	} else if base != nil {
		base.Apply(rep)
	}

	switch *format {
	case "json":
		err = audit.WriteJSON(stdout, rep)
	case "sarif":
		err = audit.WriteSARIF(stdout, rep, version)
	default:
		color := false
		if f, ok := stdout.(*os.File); ok && isTerminal(f) && getenv("NO_COLOR") == "" {
			color = true
		}
		err = audit.WriteText(stdout, rep, color)
	}
	if err != nil {
		return &exitError{code: 3, err: fmt.Errorf("audit: write report: %w", err)}
	}
	if n := len(rep.Summary.Incomplete); n > 0 {
		return &exitError{code: 3, err: fmt.Errorf("audit: scan incomplete: %d problem(s), first: %s", n, rep.Summary.Incomplete[0])}
	}
	if *writeBaseline != "" {
		return nil
	}
	if len(rep.Failing(minSev)) > 0 {
		return problemsFound()
	}
	return nil
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// showProgress prints a progress line on w every half second once a scan
// has run for two seconds; short scans print nothing. The returned
// function stops it.
func showProgress(p *audit.Progress, w io.Writer) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if time.Since(start) < 2*time.Second {
					continue
				}
				fmt.Fprintf(w, "\r\x1b[Kscanning: %d/%d files, %.1f MiB", p.Files.Load(), p.Total.Load(), float64(p.Bytes.Load())/(1<<20))
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}
