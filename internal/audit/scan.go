package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a scan. The zero value scans "." with every rule.
type Options struct {
	Paths   []string // roots to scan; default "."
	Rules   RuleSet  // nil enables every rule
	Exclude []string // patterns in .gitignore syntax, relative to each root
	// History also scans every blob in the git history of each root for
	// secrets, each reported once with the first commit that added it.
	History bool
	// Advisories answers vulnerability queries for the dependency rules.
	// Nil skips the vulnerability check and says so in Report.Notes.
	Advisories Advisories
	// Now is the time "more than two years old" is measured against.
	// Zero means time.Now().
	Now time.Time
	// Workers bounds the files read at once. Zero means GOMAXPROCS.
	Workers int
	// Progress, if set, is updated as files are scanned.
	Progress *Progress
	// IncludeVendored scans vendored code (vendor/, third_party/, a Go
	// module cache's module@version folders), which is skipped otherwise.
	IncludeVendored bool
	// FullSeverity reports test, example and vendored code at the severity
	// it would have elsewhere, instead of lower.
	FullSeverity bool

	walkOnly bool // walk folders even inside a git work tree (tests)
}

// Progress counts what a running scan has done, for a progress line.
type Progress struct {
	Files, Bytes, Total atomic.Int64
}

// Report is the outcome of a scan.
type Report struct {
	Findings []Finding `json:"findings"`
	Summary  Summary   `json:"summary"`
}

// Summary counts what was scanned and found.
type Summary struct {
	Files      int            `json:"files"`
	Bytes      int64          `json:"bytes"`
	Skipped    int            `json:"skipped"` // binary or too large
	Parsed     int            `json:"parsed"`  // code files read as syntax trees (those that mention Stripe)
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"by_severity"`
	Suppressed int            `json:"suppressed"` // by paywarden:ignore comments
	Baselined  int            `json:"baselined"`  // by the baseline file
	// Incomplete lists what could not be scanned. A report with anything
	// here is not a clean bill of health.
	Incomplete []string `json:"incomplete,omitempty"`
	// Notes are things a reader should know, such as a check that was
	// skipped for lack of an advisory database.
	Notes []string `json:"notes,omitempty"`
}

// maxFileSize bounds what is read into memory. Larger files are counted as
// skipped, never silently.
const maxFileSize = 64 << 20

// maxCodeSize bounds the files that the code rules parse; secrets are still
// looked for in larger ones. A multi-megabyte source file is generated or
// minified, not written by hand.
const maxCodeSize = 4 << 20

// fileCtx is one file being checked, with what the checks found in it.
type fileCtx struct {
	tree     *tree
	rel      string
	data     []byte
	lang     lang
	tracked  bool
	test     bool // test, fixture, example or vendored code: reported lower
	vendored bool
	full     bool // Options.FullSeverity
	parsed   bool // read as a syntax tree
	rules    RuleSet
	commit   string // set for blobs from history
	size     int64
	findings []Finding
	facts    facts
	ignores  map[int][]string // line → rule ids suppressed on it
}

// facts are what the repository-wide checks need to know about a file.
type facts struct {
	api      *apiFacts
	webhook  *webhookFacts
	manifest *manifest
}

// add records a finding in f, filling in what the rule catalog knows.
func (f *fileCtx) add(fd Finding) {
	if !f.rules.Has(fd.RuleID) {
		return
	}
	r := rulesByID[fd.RuleID]
	if r == nil {
		panic("audit: finding for unknown rule " + fd.RuleID)
	}
	fd.Title, fd.CWE = r.Title, r.CWE
	if fd.Fix == "" {
		fd.Fix = r.Help
	}
	if f.test && !f.full {
		fd.Severity = fd.Severity.lower()
		if f.vendored {
			fd.Severity = fd.Severity.lower() // someone else's code, as installed
		}
	}
	if fd.anchor == "" && fd.Line > 0 && f.data != nil {
		fd.anchor = codeAnchor(lineText(f.data, fd.Line))
	}
	fd.relPath, fd.treeArg = f.rel, f.tree.arg
	fd.Path = displayPath(f.tree.arg, f.rel)
	fd.Commit = f.commit
	f.findings = append(f.findings, fd)
}

// Scan scans the trees in opts and returns the report. An error means the
// scan could not run at all; files that could not be read are listed in
// Summary.Incomplete instead.
func Scan(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Paths) == 0 {
		opts.Paths = []string{"."}
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rep := &Report{Summary: Summary{BySeverity: map[string]int{}}}
	exclude := newExcludes(opts.Exclude)
	var trees []*tree
	for _, p := range opts.Paths {
		t, err := listTree(ctx, p, exclude, opts.walkOnly)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", p, err)
		}
		trees = append(trees, t)
		if opts.Progress != nil {
			opts.Progress.Total.Add(int64(len(t.files)))
		}
	}

	results := make(chan *fileCtx, workers*2)
	jobs := make(chan *fileCtx)
	var wg sync.WaitGroup
	var incomplete []string
	var mu sync.Mutex
	fail := func(msg string) {
		mu.Lock()
		incomplete = append(incomplete, msg)
		mu.Unlock()
	}
	var skipped, vendored atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for f := range jobs {
				var err error
				buf, err = readFile(filepath.Join(f.tree.dir, filepath.FromSlash(f.rel)), buf)
				if opts.Progress != nil {
					opts.Progress.Files.Add(1)
					opts.Progress.Bytes.Add(int64(len(buf)))
				}
				switch {
				case err == errNotText:
					skipped.Add(1)
					continue
				case os.IsNotExist(err):
					continue // deleted in the work tree but still in the index
				case err != nil:
					fail(fmt.Sprintf("%s: %v", displayPath(f.tree.arg, f.rel), err))
					continue
				}
				f.data = buf
				checkFile(f)
				f.data = nil
				results <- f
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, t := range trees {
			for _, e := range t.files {
				if ctx.Err() != nil {
					return
				}
				if isVendoredPath(e.rel) && !opts.IncludeVendored {
					vendored.Add(1)
					continue
				}
				jobs <- &fileCtx{tree: t, rel: e.rel, tracked: e.tracked, rules: opts.Rules, full: opts.FullSeverity}
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var files []*fileCtx
	for f := range results {
		files = append(files, f)
		if f.parsed {
			rep.Summary.Parsed++
		}
		rep.Summary.Files++
		rep.Summary.Bytes += f.sizeRead()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Summary.Skipped = int(skipped.Load())
	if n := vendored.Load(); n > 0 {
		rep.Summary.Notes = append(rep.Summary.Notes, fmt.Sprintf("%d files of vendored code (vendor/, third_party/, Go module cache) not scanned; --include-vendored scans them", n))
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].tree != files[j].tree {
			return treeIndex(trees, files[i].tree) < treeIndex(trees, files[j].tree)
		}
		return files[i].rel < files[j].rel
	})

	for _, t := range trees {
		var tf []*fileCtx
		for _, f := range files {
			if f.tree == t {
				tf = append(tf, f)
			}
		}
		finishAPIVersion(tf, opts)
		finishWebhooks(tf)
		notes, err := finishDeps(ctx, tf, opts)
		if err != nil {
			fail(err.Error())
		}
		rep.Summary.Notes = appendUnique(rep.Summary.Notes, notes...)
	}

	var findings []Finding
	ignores := map[string]map[int][]string{}
	for _, f := range files {
		findings = append(findings, f.findings...)
		if f.ignores != nil {
			ignores[f.tree.arg+"\x00"+f.rel] = f.ignores
		}
	}
	if opts.History {
		hist, err := scanHistory(ctx, trees, opts)
		if err != nil {
			fail(err.Error())
		}
		findings = mergeHistory(findings, hist)
	}
	findings, rep.Summary.Suppressed = suppressInline(findings, ignores)
	sortFindings(findings)
	assignFingerprints(findings)
	rep.Findings = findings
	rep.Summary.Incomplete = incomplete
	sort.Strings(rep.Summary.Incomplete)
	rep.recount()
	return rep, nil
}

func (f *fileCtx) sizeRead() int64 { return f.size }

func treeIndex(trees []*tree, t *tree) int {
	for i, x := range trees {
		if x == t {
			return i
		}
	}
	return -1
}

func appendUnique(list []string, more ...string) []string {
outer:
	for _, m := range more {
		for _, l := range list {
			if l == m {
				continue outer
			}
		}
		list = append(list, m)
	}
	return list
}

// readFile reads name into buf, reusing its memory. It returns errNotText
// for binary files, recognized by name or by a NUL byte near the start,
// and for files too large to read.
func readFile(name string, buf []byte) ([]byte, error) {
	if skippedExt[filepathExt(name)] {
		return buf[:0], errNotText
	}
	// Lstat first: a symbolic link may point out of the tree, and opening
	// a FIFO would block the worker for ever.
	if li, err := os.Lstat(name); err != nil {
		return buf[:0], err
	} else if !li.Mode().IsRegular() {
		return buf[:0], errNotText
	}
	fh, err := os.Open(name)
	if err != nil {
		return buf[:0], err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return buf[:0], err
	}
	if !fi.Mode().IsRegular() {
		return buf[:0], errNotText
	}
	size := fi.Size()
	if size > maxFileSize {
		return buf[:0], errNotText
	}
	if int64(cap(buf)) < size+1 {
		buf = make([]byte, 0, size+512)
	}
	buf = buf[:size]
	n, err := io.ReadFull(fh, buf)
	buf = buf[:n]
	if err != nil && err != io.ErrUnexpectedEOF {
		return buf[:0], err
	}
	if isBinary(buf) {
		return buf[:0], errNotText
	}
	return buf, nil
}

func filepathExt(name string) string {
	for i := len(name) - 1; i >= 0 && name[i] != '/' && name[i] != os.PathSeparator; i-- {
		if name[i] == '.' {
			ext := name[i:]
			if len(ext) > 8 {
				return ""
			}
			b := []byte(ext)
			for j, c := range b {
				if c >= 'A' && c <= 'Z' {
					b[j] = c + 32
				}
			}
			return string(b)
		}
	}
	return ""
}

// isBinary looks for a NUL byte in the first 8000 bytes, as git does.
func isBinary(b []byte) bool {
	if len(b) > 8000 {
		b = b[:8000]
	}
	return bytes.IndexByte(b, 0) >= 0
}

// checkFile runs every per-file check on f.
func checkFile(f *fileCtx) {
	f.size = int64(len(f.data))
	f.lang = langOf(f.rel)
	f.vendored = isVendoredPath(f.rel)
	f.test = f.vendored || isTestPath(f.rel)
	var src *source
	code := f.lang.isCode() && len(f.data) <= maxCodeSize
	codeRules := f.rules.Has("secret-logged") || f.rules.family(FamilyAPIVersion) || f.rules.family(FamilyWebhooks) || f.rules.family(FamilyErrors)
	if code && codeRules && mentionsStripe(f.data) {
		src = newSource(f.rel, f.lang, f.data)
	}
	if mayHoldSecret(f.data) {
		s := src
		if s == nil && code {
			s = newSource(f.rel, f.lang, f.data)
		}
		checkSecrets(f, s)
	}
	checkEnvFile(f)
	if src != nil {
		checkLogged(f, src)
		checkAPIVersion(f, src)
		checkWebhooks(f, src)
		checkErrors(f, src)
		f.parsed = src.tree != nil
	}
	checkManifest(f)
	parseIgnores(f)
}

// stripeNeedles are what a code file must mention for the code rules to
// read it: Stripe itself, webhooks, or Stripe event names.
var stripeNeedles = [][]byte{[]byte("tripe"), []byte("TRIPE"), []byte("ebhook"), []byte("EBHOOK"), []byte("payment_intent."), []byte("checkout.session."),
	[]byte("request.data"), []byte("request.json"), []byte("get_json"), []byte("req.body"), []byte("request.body")}

func mentionsStripe(b []byte) bool {
	for _, n := range stripeNeedles {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}

// recount fills the summary's counts from the findings.
func (r *Report) recount() {
	r.Summary.Findings = len(r.Findings)
	r.Summary.BySeverity = map[string]int{}
	for _, f := range r.Findings {
		r.Summary.BySeverity[f.Severity.String()]++
	}
}

// sortFindings orders findings by path, position and rule: output is the
// same on every run whatever order the workers finished in.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Message < b.Message
	})
}

// assignFingerprints computes fingerprints once findings are sorted, so
// that repeats of the same anchor in a file get ordinals in file order.
func assignFingerprints(fs []Finding) {
	seen := map[string]int{}
	for i := range fs {
		f := &fs[i]
		if f.Fingerprint != "" {
			continue
		}
		key := f.RuleID + "\x00" + f.relPath + "\x00" + f.anchor
		n := seen[key]
		seen[key] = n + 1
		f.Fingerprint = fingerprint(f.RuleID, f.relPath, f.anchor, n)
	}
}

// Failing returns the findings at or above min.
func (r *Report) Failing(min Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	return out
}
