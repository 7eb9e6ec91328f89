package logging

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Mark replaces the secret part of what the Redactor scrubs. The prefix kept
// before it (sk_live_, whsec_, ...) tells a reader what was there; the value
// never survives.
const Mark = "…REDACTED"

// minValueLen is the shortest registered value the Redactor replaces. A
// shorter "secret" would turn ordinary words of every log line into
// REDACTED and is no secret anyway.
const minValueLen = 6

// A pattern is one shape of secret. needles are cheap substring tests run
// before the regular expression: most log text contains none of them, and
// then the regexp never runs.
type pattern struct {
	needles []string
	fold    bool // needles are matched ignoring ASCII case
	re      *regexp.Regexp
	repl    string
}

// patterns are the secret shapes paywarden knows. Bodies are matched
// greedily and without a minimum length: a short or truncated key is still
// part of a key.
var patterns = []pattern{
	{ // Stripe secret and restricted keys.
		needles: []string{"k_live_", "k_test_"},
		re:      regexp.MustCompile(`(sk|rk)_(live|test)_[0-9A-Za-z]+`),
		repl:    "${1}_${2}_" + Mark,
	},
	{ // Webhook signing secrets.
		needles: []string{"whsec_"},
		re:      regexp.MustCompile(`whsec_[0-9A-Za-z]+`),
		repl:    "whsec_" + Mark,
	},
	{ // Client secrets: pi_..._secret_..., seti_..._secret_..., src_..._secret_...
		needles: []string{"_secret_"},
		re:      regexp.MustCompile(`([a-z]{2,5})_[0-9A-Za-z]+_secret_[0-9A-Za-z]+`),
		repl:    "${1}_" + Mark,
	},
	{ // paywarden internal API tokens.
		needles: []string{"pwk_"},
		re:      regexp.MustCompile(`pwk_[0-9A-Za-z_\-]+`),
		repl:    "pwk_" + Mark,
	},
	{ // Authorization: Bearer <anything>.
		needles: []string{"bearer"},
		fold:    true,
		re:      regexp.MustCompile(`(?i)(bearer)(\s+|%20|\+)[^\s,;"'&<>\\]+`),
		repl:    "${1}${2}" + Mark,
	},
}

// Redactor scrubs secrets from text: every shape of pattern above, and every
// value registered with Add. It is safe for concurrent use; readers never
// block, because Add swaps in a new immutable set.
type Redactor struct {
	mu     sync.Mutex // serializes writers
	values atomic.Pointer[valueSet]
}

type valueSet struct {
	list     []string
	replacer *strings.Replacer // nil when list is empty
}

// NewRedactor returns a Redactor with the given values registered.
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add registers secret values to scrub. Values already registered stay
// registered: a key replaced by a reload may still be valid at Stripe for a
// while (and is still worth hiding after), so forgetting it would buy
// nothing. Values shorter than six bytes are ignored.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var old []string
	if vs := r.values.Load(); vs != nil {
		old = vs.list
	}
	list := slices.Clone(old)
	for _, v := range values {
		if len(v) >= minValueLen && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	if len(list) == len(old) {
		return
	}
	// Longest first, so a value that contains another is replaced whole.
	slices.SortFunc(list, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(list))
	for _, v := range list {
		pairs = append(pairs, v, paywardenRedacted)
	}
	r.values.Store(&valueSet{list: list, replacer: strings.NewReplacer(pairs...)})
}

// paywardenRedacted is what a registered value becomes: nothing of a value
// of unknown shape is kept.
const paywardenRedacted = "REDACTED"

// String returns s with every secret scrubbed. Use it on any text that
// leaves the process outside the logger: error lines on stderr, problem
// documents. A nil Redactor still scrubs the known shapes.
func (r *Redactor) String(s string) string {
	if r != nil {
		if vs := r.values.Load(); vs != nil && vs.replacer != nil {
			s = vs.replacer.Replace(s)
		}
	}
	return scrubPatterns(s)
}

// scrubPatterns replaces every known secret shape in s.
func scrubPatterns(s string) string {
	// Every shape but Bearer contains an underscore: text without one, the
	// common case, is tested for Bearer only.
	underscore := strings.IndexByte(s, '_') >= 0
	for i := range patterns {
		p := &patterns[i]
		if (underscore || p.fold) && p.mayMatch(s) {
			s = p.re.ReplaceAllString(s, p.repl)
		}
	}
	return s
}

func (p *pattern) mayMatch(s string) bool {
	for _, n := range p.needles {
		if p.fold {
			if containsFold(s, n) {
				return true
			}
		} else if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII needle,
// ignoring ASCII case, without allocating.
func containsFold(s, needle string) bool {
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
