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
func runAudit(ctx context.Context, e *env) error {
	getenv, stdout, stderr := e.getenv, e.stdout, e.stderr
	rawStdout, rawStderr := e.rawStdout, e.rawStderr
	if rawStdout == nil {
		rawStdout, rawStderr = stdout, stderr
	}
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
	if err := c.parse(e); err != nil {
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
	cfgFailOn, cfgBaseline, cfgRules, err := auditDefaults(paths, *noConfig, &exclude)
	if err != nil {
		return err
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
		if opts.Advisories, err = auditAdvisories(*advisoryDB, getenv, *online, stderr); err != nil {
			return err
		}
	}

	return auditScan(ctx, opts, auditOutput{format: *format, writeBaseline: *writeBaseline, base: base, minSev: minSev,
		getenv: getenv, stdout: stdout, stderr: stderr, rawStdout: rawStdout, rawStderr: rawStderr})
}

// auditOutput is where and how audit reports, and what fails it.
type auditOutput struct {
	format, writeBaseline string
	base                  *audit.Baseline
	minSev                audit.Severity
	getenv                func(string) string
	stdout, stderr        io.Writer // through the redactor
	rawStdout, rawStderr  io.Writer // for terminal checks and the progress line
}

// auditScan scans, applies or writes the baseline, writes the report and
// returns the exit status: findings at or above minSev are exit 1, an
// incomplete scan exit 3.
func auditScan(ctx context.Context, opts audit.Options, o auditOutput) error {
	getenv, stdout, stderr, rawStdout, rawStderr := o.getenv, o.stdout, o.stderr, o.rawStdout, o.rawStderr
	// Progress and colour are for a terminal: asked of the raw streams
	// (the ones run wraps in the redactor are not files), and the
	// progress line, counts only, is drawn on the raw one.
	stop := func() {}
	if f, ok := rawStderr.(*os.File); ok && isTerminal(f) {
		opts.Progress = &audit.Progress{}
		stop = showProgress(opts.Progress, rawStderr)
	}
	f, ok := rawStdout.(*os.File)
	color := ok && isTerminal(f) && getenv("NO_COLOR") == ""
	rep, err := audit.Scan(ctx, opts)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: 3, err: fmt.Errorf("audit: interrupted: scan incomplete")}
		}
		return &exitError{code: 3, err: fmt.Errorf("audit: scan incomplete: %w", err)}
	}
	if opts.Progress != nil {
		fmt.Fprint(rawStderr, "\r\x1b[K")
	}
	if o.writeBaseline != "" {
		if err := audit.NewBaseline(rep.Findings).WriteFile(o.writeBaseline); err != nil {
			return &exitError{code: 3, err: fmt.Errorf("audit: write baseline: %w", err)}
		}
		fmt.Fprintf(stderr, "paywarden: audit: wrote %d finding(s) to baseline %s\n", len(rep.Findings), o.writeBaseline)
	} else if o.base != nil {
		o.base.Apply(rep)
	}

	if err := writeAuditReport(rep, o.format, stdout, color); err != nil {
		return &exitError{code: 3, err: fmt.Errorf("audit: write report: %w", err)}
	}
	if n := len(rep.Summary.Incomplete); n > 0 {
		return &exitError{code: 3, err: fmt.Errorf("audit: scan incomplete: %d problem(s), first: %s", n, rep.Summary.Incomplete[0])}
	}
	if o.writeBaseline != "" {
		return nil
	}
	if len(rep.Failing(o.minSev)) > 0 {
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

// auditDefaults reads the configuration file of each scanned tree: its
// excludes are added to exclude, and the first tree that sets fail-on,
// the baseline or the rules gives that default.
func auditDefaults(paths []string, noConfig bool, exclude *stringList) (failOn, baseline, rules string, err error) {
	if noConfig {
		return "", "", "", nil
	}
	for _, p := range paths {
		cfg, err := audit.LoadConfig(p)
		if err != nil {
			return "", "", "", configError(fmt.Errorf("audit: %w", err))
		}
		*exclude = append(*exclude, cfg.Exclude...)
		if failOn == "" {
			failOn = cfg.FailOn
		}
		if baseline == "" {
			baseline = cfg.Baseline
		}
		if rules == "" {
			rules = strings.Join(cfg.Rules, ",")
		}
	}
	return failOn, baseline, rules, nil
}

// writeAuditReport writes the report in format: json, sarif or text.
func writeAuditReport(rep *audit.Report, format string, w io.Writer, color bool) error {
	switch format {
	case "json":
		return audit.WriteJSON(w, rep)
	case "sarif":
		return audit.WriteSARIF(w, rep, version)
	}
	return audit.WriteText(w, rep, color)
}

// auditAdvisories loads the OSV advisories: dir, else
// PAYWARDEN_ADVISORY_DB, else the embedded snapshot; with online, the OSV
// service is asked too while it answers.
func auditAdvisories(dir string, getenv func(string) string, online bool, stderr io.Writer) (audit.Advisories, error) {
	if dir == "" {
		dir = getenv("PAYWARDEN_ADVISORY_DB")
	}
	adv, err := audit.LoadAdvisories(dir)
	if err != nil {
		return nil, configError(fmt.Errorf("audit: advisory database: %w", err))
	}
	if online {
		adv = audit.WithOnline(adv, audit.OSVEndpoint, func(err error) {
			fmt.Fprintf(stderr, "paywarden: audit: online advisories unavailable, using the offline database: %v\n", err)
		})
	}
	return adv, nil
}
