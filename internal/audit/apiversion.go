package audit

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// apiFacts are what a file tells about Stripe API versions: clients
// created without a pinned version, and the versions pinned.
type apiFacts struct {
	clients      []siteFact // Stripe clients configured without a version in the call
	pins         []pinFact
	pinsGlobally bool // a Python module-level stripe.api_version assignment
	imports      []importFact
}

// siteFact is a place in a file remembered for a repository-wide check.
type siteFact struct {
	lang         lang
	line, col    int
	anchor, what string
}

type pinFact struct {
	siteFact
	version string // "" when the version comes from elsewhere (an env var)
}

var (
	pyConfigure  = regexp.MustCompile(`\bstripe\.api_key\s*=[^=]|\b(?:stripe\.)?StripeClient\s*(\()`)
	pyPin        = regexp.MustCompile(`\bstripe\.api_version\s*=\s*(?:['"]([^'"\n]*)['"])?`)
	pyClientPin  = regexp.MustCompile(`\bstripe_version\s*=\s*(?:['"]([^'"\n]*)['"])?`)
	jsConfigure  = regexp.MustCompile(`\brequire\(\s*['"]stripe['"]\s*\)\s*(\()|\bnew\s+Stripe\s*(\()|(?:^|[=:(,]\s*)Stripe\s*(\()`)
	jsImports    = regexp.MustCompile(`require\(\s*['"]stripe['"]\s*\)|from\s+['"]stripe['"]|import\s+Stripe\b`)
	jsPin        = regexp.MustCompile(`\bapiVersion\s*:\s*(?:['"]([^'"\n]*)['"])?`)
	rbPin        = regexp.MustCompile(`\bStripe\.api_version\s*=\s*(?:['"]([^'"\n]*)['"])?`)
	apiDateRe    = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})`)
	jsIdentifier = regexp.MustCompile(`^[A-Za-z_$][\w$.]*$`)
)

// checkAPIVersion collects the Stripe client configurations and API
// version pins of one file; finishAPIVersion judges them per service.
func checkAPIVersion(f *fileCtx, src *source) {
	if !f.rules.family(FamilyAPIVersion) {
		return
	}
	a := &apiFacts{}
	site := func(off int, what string) siteFact {
		l, c := src.lineCol(off)
		return siteFact{lang: f.lang, line: l, col: c, anchor: codeAnchor(src.line(l)), what: what}
	}
	switch f.lang {
	case langPython:
		for _, m := range liveMatches(pyPin, src) {
			a.pinsGlobally = true
			a.pins = append(a.pins, pinFact{site(m.start, "stripe.api_version"), m.group(src, 1)})
		}
		for _, m := range liveMatches(pyConfigure, src) {
			if open := m.groups[2]; open >= 0 { // StripeClient(...)
				end := closeParen(src, open)
				if end > open {
					if pm := pyClientPin.FindSubmatchIndex(src.code[open:end]); pm != nil {
						v := ""
						if pm[2] >= 0 {
							v = string(src.raw[open+pm[2] : open+pm[3]])
						}
						a.pins = append(a.pins, pinFact{site(open+pm[0], "stripe_version"), v})
						continue
					}
				}
				a.clients = append(a.clients, site(m.start, "StripeClient created without stripe_version"))
				continue
			}
			a.clients = append(a.clients, site(m.start, "stripe.api_key set without stripe.api_version"))
		}
	case langJS:
		if jsImports.Find(src.code) == nil {
			return
		}
		var calls []span
		for _, m := range liveMatches(jsConfigure, src) {
			open := -1
			for g := 1; g <= 3; g++ {
				if m.groups[2*g] >= 0 {
					open = m.groups[2*g]
				}
			}
			end := closeParen(src, open)
			if open < 0 || end < 0 {
				continue
			}
			calls = append(calls, span{open, end})
			args := splitArgs(src, open, end)
			if len(args) == 0 {
				continue // Stripe() with no key is not a client being configured
			}
			if pm := jsPin.FindSubmatchIndex(src.code[open:end]); pm != nil {
				v := ""
				if pm[2] >= 0 {
					v = string(src.raw[open+pm[2] : open+pm[3]])
				}
				a.pins = append(a.pins, pinFact{site(open+pm[0], "apiVersion"), v})
				continue
			}
			if len(args) >= 2 && jsIdentifier.MatchString(src.text(args[1])) {
				continue // options built elsewhere: cannot tell
			}
			a.clients = append(a.clients, site(m.start, "Stripe client created without apiVersion"))
		}
		// A pin in a shared options object: const opts = {apiVersion: "..."}.
		if len(a.clients) == 0 {
			break
		}
	outer:
		for _, m := range liveMatches(jsPin, src) {
			for _, c := range calls {
				if m.start > c.start && m.start < c.end {
					continue outer
				}
			}
			if m.group(src, 1) != "" {
				a.pins = append(a.pins, pinFact{site(m.start, "apiVersion"), m.group(src, 1)})
				a.clients = nil
				break
			}
		}
	case langRuby:
		for _, m := range liveMatches(rbPin, src) {
			a.pins = append(a.pins, pinFact{site(m.start, "Stripe.api_version"), m.group(src, 1)})
		}
	}
	if len(a.clients) > 0 || len(a.pins) > 0 {
		if len(a.clients) > 0 {
			if root := src.syntaxTree(f.lang); root != nil {
				a.imports = fileImports(f, src, root)
			}
		}
		f.facts.api = a
	}
}

// Stripe SDK majors that pin a default API version of their own: from
// these on, an unpinned client still gets a fixed version, so the
// finding weighs less.
const (
	pythonPinsDefault = 6
	nodePinsDefault   = 12
)

// finishAPIVersion reports, per service (the folder of the nearest
// manifest), Stripe clients with no pinned version, weighed by the SDK
// major the service depends on; pins that disagree across the repository;
// and pins more than two years old.
func finishAPIVersion(files []*fileCtx, opts Options) {
	svc := newServices(files)
	procs := newProcesses(files)
	pinned := map[string]bool{}
	var pinFiles []*fileCtx
	for _, f := range files {
		if a := f.facts.api; a != nil && a.pinsGlobally {
			pinned[procs.of(f.rel)] = true
			pinFiles = append(pinFiles, f)
		}
	}
	// A module-level pin holds in the process that runs it: the client's
	// own process folder, or a module the client's file imports.
	pinReaches := func(f *fileCtx) bool {
		if pinned[procs.of(f.rel)] {
			return true
		}
		w := &webhookFacts{imports: f.facts.api.imports}
		for _, p := range pinFiles {
			if w.sees(f, p, "") {
				return true
			}
		}
		return false
	}
	type pinAt struct {
		f *fileCtx
		p pinFact
	}
	var pins []pinAt
	for _, f := range files {
		a := f.facts.api
		if a == nil {
			continue
		}
		for _, p := range a.pins {
			if p.version != "" {
				pins = append(pins, pinAt{f, p})
			}
		}
		service := svc.of(f.rel)
		for _, c := range a.clients {
			if c.lang == langPython && pinReaches(f) {
				continue
			}
			eco, floor, sdk := "PyPI", pythonPinsDefault, "stripe-python"
			if c.lang == langJS {
				eco, floor, sdk = "npm", nodePinsDefault, "stripe-node"
			}
			major := svc.stripeMajor(service, eco)
			sev, why := Medium, fmt.Sprintf("the %s version is unknown, so the account's default API version may apply", sdk)
			switch {
			case major >= floor:
				sev, why = Low, fmt.Sprintf("%s %d pins a default version, but upgrading the SDK will change it", sdk, major)
			case major > 0:
				sev, why = High, fmt.Sprintf("%s %d uses the account's default API version, which a Dashboard upgrade changes", sdk, major)
			}
			f.add(Finding{RuleID: "apiversion-unpinned", Severity: sev, Line: c.line, Column: c.col,
				Message: fmt.Sprintf("%s; %s", c.what, why), anchor: c.anchor})
		}
	}

	versions := map[string][]string{}
	for _, p := range pins {
		versions[p.p.version] = append(versions[p.p.version], p.f.rel)
	}
	for _, p := range pins {
		if len(versions) > 1 {
			var others []string
			for v, where := range versions {
				if v != p.p.version {
					sort.Strings(where)
					others = append(others, fmt.Sprintf("%s (%s)", v, where[0]))
				}
			}
			sort.Strings(others)
			p.f.add(Finding{RuleID: "apiversion-mismatch", Severity: Medium, Line: p.p.line, Column: p.p.col,
				Message: fmt.Sprintf("Stripe API version %s, while the repository also pins %s", p.p.version, strings.Join(others, ", ")),
				anchor:  p.p.anchor})
		}
		if m := apiDateRe.FindStringSubmatch(p.p.version); m != nil {
			if d, err := time.Parse("2006-01-02", m[1]); err == nil && opts.Now.Sub(d) > 2*365*24*time.Hour {
				sev := Low
				if opts.Now.Sub(d) > 4*365*24*time.Hour {
					sev = Medium
				}
				p.f.add(Finding{RuleID: "apiversion-stale", Severity: sev, Line: p.p.line, Column: p.p.col,
					Message: fmt.Sprintf("Stripe API version %s is %d years old", p.p.version, int(opts.Now.Sub(d).Hours()/24/365)),
					anchor:  p.p.anchor})
			}
		}
	}
}

// processes maps files to the process they run in: the folder of the
// nearest manifest, container file or entry point above them. A repository
// with one requirements.txt and a folder per service runs each service in
// its own process, each with its own module-level settings.
type processes struct{ dirs map[string]bool }

// entryPoints are the file names that mark a folder as a program of its own.
var entryPoints = map[string]bool{"main.py": true, "app.py": true, "manage.py": true, "wsgi.py": true, "asgi.py": true, "__main__.py": true,
	"server.py": true, "Dockerfile": true, "Procfile": true, "server.js": true, "index.js": true, "app.js": true, "main.go": true,
	"serverless.yml": true, "app.yaml": true, "lambda_function.py": true, "handler.py": true}

func newProcesses(files []*fileCtx) *processes {
	p := &processes{dirs: map[string]bool{}}
	for _, f := range files {
		if f.facts.manifest != nil || entryPoints[path.Base(f.rel)] {
			p.dirs[path.Dir(f.rel)] = true
		}
	}
	return p
}

// of returns the process folder of rel, "." for the root.
func (p *processes) of(rel string) string {
	for d := path.Dir(rel); ; d = path.Dir(d) {
		if p.dirs[d] || d == "." || d == "/" || d == "" {
			return d
		}
	}
}

// services maps files to the service they belong to: the folder of the
// nearest manifest above them.
type services struct {
	dirs    map[string]*fileCtx // folder → a manifest in it
	byDir   map[string][]*fileCtx
	sortedD []string
}

func newServices(files []*fileCtx) *services {
	s := &services{dirs: map[string]*fileCtx{}, byDir: map[string][]*fileCtx{}}
	for _, f := range files {
		if f.facts.manifest != nil {
			d := path.Dir(f.rel)
			s.byDir[d] = append(s.byDir[d], f)
			if s.dirs[d] == nil {
				s.dirs[d] = f
				s.sortedD = append(s.sortedD, d)
			}
		}
	}
	return s
}

// of returns the service folder of rel, "." for the root.
func (s *services) of(rel string) string {
	for d := path.Dir(rel); ; d = path.Dir(d) {
		if _, ok := s.dirs[d]; ok {
			return d
		}
		if d == "." || d == "/" || d == "" {
			return "."
		}
	}
}

// stripeMajor returns the major version of the Stripe SDK of ecosystem
// eco that the service's manifests ask for, or 0 if unknown.
func (s *services) stripeMajor(service, eco string) int {
	best := 0
	for _, f := range s.byDir[service] {
		for _, d := range f.facts.manifest.deps {
			if d.eco == eco && d.name == "stripe" {
				if m := d.major(); m > best {
					best = m
				}
			}
		}
	}
	return best
}
