package audit

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"strings"
)

// sdkMajorsJSON is the newest major of each Stripe SDK as the registries
// served it on the date the file records, written by internal/sdkmajors.
//
//go:generate go run ./internal/sdkmajors -o data/sdk-majors.json
//go:embed data/sdk-majors.json
var sdkMajorsJSON []byte

// latestStripeMajor is the newest major version of each Stripe SDK, by
// ecosystem, from the dated data file. A dependency three or more majors
// behind is reported.
var latestStripeMajor = func() map[string]int {
	var f struct {
		SDKs []struct {
			Ecosystem string
			Major     int
		}
	}
	if err := json.Unmarshal(sdkMajorsJSON, &f); err != nil {
		panic("audit: data/sdk-majors.json: " + err.Error())
	}
	m := map[string]int{}
	for _, e := range f.SDKs {
		m[e.Ecosystem] = e.Major
	}
	return m
}()

// stripeMajorsBehind is how far behind counts as "several majors".
const stripeMajorsBehind = 3

// finishDeps checks the manifests of one tree: known vulnerabilities,
// Stripe SDKs far behind or unpinned, look-alike names, extra package
// indexes and Go modules posing as Stripe's. It returns notes for the
// report, and an error if the advisory database could not be read: then
// the scan is incomplete, not clean.
func finishDeps(ctx context.Context, files []*fileCtx, opts Options) ([]string, error) {
	var notes []string
	var dbErr error
	queried := false
	for _, f := range files {
		m := f.facts.manifest
		if m == nil {
			continue
		}
		for _, d := range m.deps {
			checkStripeDep(f, m, d)
			if d.direct {
				if target, how := lookalike(d.eco, d.name); target != "" {
					// Look-alikes of stripe and of the most popular PyPI names
					// are high; affixes and npm names (whose list of popular
					// packages is short, so legitimate neighbours abound) are
					// medium.
					sev := High
					if target != "stripe" && (strings.HasPrefix(how, "adds") || d.eco == "npm" || popularPyPI().rank[target] >= 1000) {
						sev = Medium
					}
					f.add(Finding{RuleID: "dep-typosquat", Severity: sev, Line: d.line, Column: 1,
						Message: fmt.Sprintf("%s package %q %s the popular package %q", d.eco, d.name, how, target),
						anchor:  d.eco + ":" + d.name})
				}
			}
			if d.eco == "Go" {
				checkGoImpostor(f, d.name, d.line, "requires")
			}
		}
		for _, r := range m.replaces {
			if isStripeModule(r.old) && !isStripeModule(r.new) {
				sev, where := High, "another module"
				if strings.HasPrefix(r.new, ".") || strings.HasPrefix(r.new, "/") {
					sev, where = Medium, "a local folder"
				}
				f.add(Finding{RuleID: "dep-go-impostor", Severity: sev, Line: r.line, Column: 1,
					Message: fmt.Sprintf("replace directive swaps %s for %s %s", r.old, where, r.new), anchor: "replace:" + r.old + "=>" + r.new})
			}
			checkGoImpostor(f, r.new, r.line, "replaces with")
		}
		seenIdx := map[string]bool{}
		for _, ix := range m.indexes {
			host := indexHost(ix.url)
			if seenIdx[host] {
				continue
			}
			seenIdx[host] = true
			sev, what := Medium, "an extra package index"
			switch {
			case ix.how == "--extra-index-url" || ix.how == "extra-index-url":
				sev, what = High, "an extra index searched beside the public one, so a public package can take a private name"
			case strings.HasPrefix(ix.url, "http://"):
				sev, what = High, "a package index over plain HTTP"
			case ix.how == "resolved":
				what = "packages resolved from a registry other than the public one"
			}
			f.add(Finding{RuleID: "dep-extra-index", Severity: sev, Line: ix.line, Column: 1,
				Message: fmt.Sprintf("%s %s: %s", ix.how, redactURL(ix.url), what), anchor: "index:" + host})
		}
		if opts.Advisories == nil || !opts.Rules.Has("dep-vulnerable") || dbErr != nil {
			continue
		}
		seen := map[string]bool{}
		for _, d := range m.deps {
			if d.version == "" || seen[d.eco+d.name+d.version] {
				continue
			}
			seen[d.eco+d.name+d.version] = true
			queried = true
			advs, err := opts.Advisories.Affecting(ctx, d.eco, d.name, d.version)
			if err != nil {
				dbErr = fmt.Errorf("advisory database: %w", err)
				break
			}
			for _, a := range advs {
				msg := fmt.Sprintf("%s %s %s is affected by %s", d.eco, d.name, d.version, a.ID)
				if len(a.Aliases) > 0 {
					msg += " (" + strings.Join(a.Aliases, ", ") + ")"
				}
				if a.Summary != "" {
					msg += ": " + a.Summary
				}
				fix := "No fixed version is known: remove the dependency or make sure the affected code is not used."
				fixed := a.Fixed(d.eco, d.name)
				if fixed != "" {
					fix = fmt.Sprintf("Upgrade %s to %s or later.", d.name, fixed)
				}
				// A Go module is vulnerable only if the affected package is
				// imported: for indirect requirements and advisories with no
				// fix, govulncheck is the judge of reachability.
				sev := High
				if d.eco == "Go" && (!d.direct || fixed == "") {
					sev = Medium
					fix += " Run govulncheck to see whether the vulnerable code is reachable."
				}
				f.add(Finding{RuleID: "dep-vulnerable", Severity: sev, Line: d.line, Column: 1, Message: msg, Fix: fix,
					anchor: d.eco + ":" + d.name + "@" + d.version + ":" + a.ID})
			}
		}
	}
	if opts.Rules.Has("dep-vulnerable") {
		switch {
		case opts.Advisories == nil:
			notes = append(notes, "no advisory database: known vulnerabilities were not checked")
		case queried && dbErr == nil:
			notes = append(notes, "advisories: "+opts.Advisories.Source())
		}
	}
	return notes, dbErr
}

// checkStripeDep reports a Stripe SDK dependency that is unpinned or
// several majors behind.
func checkStripeDep(f *fileCtx, m *manifest, d dependency) {
	if !isStripeSDK(d) {
		return
	}
	if d.direct && d.eco != "Go" && isUnpinned(d) {
		spec := d.spec
		if spec == "" {
			spec = "any version"
		}
		f.add(Finding{RuleID: "dep-stripe-unpinned", Severity: Medium, Line: d.line, Column: 1,
			Message: fmt.Sprintf("%s dependency %s accepts %s: a new major can change payment behaviour on the next install", d.eco, d.name, spec),
			anchor:  "unpinned:" + d.eco + ":" + d.name})
	}
	major := d.major()
	if d.eco == "Go" {
		major = goModuleMajor(d.name)
	}
	latest := latestStripeMajor[d.eco]
	if d.direct && major > 0 && latest-major >= stripeMajorsBehind {
		f.add(Finding{RuleID: "dep-stripe-outdated", Severity: Medium, Line: d.line, Column: 1,
			Message: fmt.Sprintf("%s %s major %d is %d majors behind %d", d.eco, d.name, major, latest-major, latest),
			anchor:  "outdated:" + d.eco + ":" + d.name + ":" + d.spec})
	}
}

func isStripeSDK(d dependency) bool {
	switch d.eco {
	case "PyPI", "npm":
		return strings.EqualFold(d.name, "stripe")
	case "Go":
		return strings.HasPrefix(d.name, "github.com/stripe/stripe-go")
	}
	return false
}

// isUnpinned reports a constraint with no upper bound: no version, "*",
// "latest", ">=X" alone.
func isUnpinned(d dependency) bool {
	s := strings.TrimSpace(d.spec)
	switch s {
	case "", "*", "latest", "x", "X", "next":
		return true
	}
	if d.version != "" {
		return false
	}
	if strings.Contains(s, "<") || strings.HasPrefix(s, "~") || strings.HasPrefix(s, "^") || strings.HasPrefix(s, "==") || strings.Contains(s, "||") {
		return false
	}
	return strings.HasPrefix(s, ">")
}

// goModuleMajor returns the major version in a module path: 85 for
// github.com/stripe/stripe-go/v85, 1 for no suffix.
func goModuleMajor(p string) int {
	i := strings.LastIndex(p, "/v")
	if i < 0 {
		return 1
	}
	if n := majorOf(p[i+2:]); n > 0 {
		return n
	}
	return 1
}

func isStripeModule(p string) bool { return strings.HasPrefix(p, "github.com/stripe/") }

// checkGoImpostor reports a module path that imitates github.com/stripe:
// a look-alike owner, a look-alike host, or a stripe-go fork elsewhere.
func checkGoImpostor(f *fileCtx, mod string, line int, verb string) {
	if isStripeModule(mod) || !strings.Contains(strings.ToLower(mod), "str") {
		return
	}
	parts := strings.Split(mod, "/")
	if len(parts) < 3 {
		return
	}
	host, owner, repo := strings.ToLower(parts[0]), strings.ToLower(parts[1]), strings.ToLower(parts[2])
	why := ""
	switch {
	case host != "github.com" && damerau(host, "github.com") <= 2 && owner == "stripe":
		why = "a host that imitates github.com"
	case owner != "stripe" && (owner == "stripe-go" || damerau(owner, "stripe") <= 2 && len(owner) >= 5 && strings.Contains(repo, "stripe")):
		why = "an owner that imitates stripe"
	case owner != "stripe" && strings.HasPrefix(repo, "stripe-go"):
		why = "a copy of stripe-go outside github.com/stripe"
	}
	if why == "" {
		return
	}
	f.add(Finding{RuleID: "dep-go-impostor", Severity: High, Line: line, Column: 1,
		Message: fmt.Sprintf("go.mod %s %s, %s", verb, mod, why), anchor: "impostor:" + mod})
}

// indexHost returns the host of an index URL, for deduplication.
func indexHost(u string) string {
	s := u
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return s
}

// redactURL drops credentials from an index URL before it is printed.
func redactURL(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	if at := strings.IndexByte(rest, '@'); at >= 0 && at < strings.IndexByte(rest+"/", '/') {
		return u[:i+3] + "REDACTED@" + rest[at+1:]
	}
	return u
}
