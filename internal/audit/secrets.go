package audit

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// secretKind is one kind of Stripe secret, recognized by its prefix.
type secretKind struct {
	prefix  string
	rule    string
	sev     Severity
	minBody int // shorter bodies are placeholders, not keys
	name    string
}

// secretKinds are tried in order at every "sk_", "rk_" and "whsec_".
// Publishable keys (pk_) are public by design and are not looked for.
var secretKinds = []secretKind{
	{"sk_live_", "secret-live-key", Critical, 20, "live secret key"},
	{"sk_test_", "secret-test-key", Medium, 20, "test secret key"},
	{"rk_live_", "secret-live-restricted-key", High, 20, "live restricted key"},
	{"rk_test_", "secret-test-restricted-key", Low, 20, "test restricted key"},
	{"whsec_", "secret-webhook-signing", High, 24, "webhook signing secret"},
}

// maxBody bounds a key body: real keys are at most a little over 100
// characters, and a megabyte of base62 is not a key.
const maxBody = 256

// secretHit is one secret found in a file.
type secretHit struct {
	off, end int // byte offsets of the whole secret, prefix included
	kind     *secretKind
	value    string
	doc      bool // a key Stripe publishes in its documentation
}

// secretNeedles are what a file must contain to hold any secret: one
// bytes.Index per needle rules out most files without a regexp.
var secretNeedles = [][]byte{[]byte("k_live_"), []byte("k_test_"), []byte("whsec_")}

// mayHoldSecret is the cheap prefilter of findSecrets.
func mayHoldSecret(b []byte) bool {
	for _, n := range secretNeedles {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}

// findSecrets returns every real-looking Stripe secret in b, in order.
// It scans with bytes.Index rather than a regexp: this runs on every byte
// of every file.
func findSecrets(b []byte) []secretHit {
	var hits []secretHit
	for _, needle := range secretNeedles {
		for i := 0; ; {
			j := bytes.Index(b[i:], needle)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(needle)
			start := at
			if needle[0] == 'k' { // "k_live_" or "k_test_": step back to the s or r
				if at == 0 || (b[at-1] != 's' && b[at-1] != 'r') {
					continue
				}
				start = at - 1
			}
			if start > 0 && isAlnum(b[start-1]) {
				continue
			}
			kind := kindAt(b[start:])
			if kind == nil {
				continue
			}
			bodyStart := start + len(kind.prefix)
			bodyEnd := bodyStart
			for bodyEnd < len(b) && isAlnum(b[bodyEnd]) && bodyEnd-bodyStart <= maxBody {
				bodyEnd++
			}
			i = bodyEnd
			body := b[bodyStart:bodyEnd]
			if len(body) > maxBody || isPlaceholderBody(body, kind.minBody) {
				continue
			}
			value := string(b[start:bodyEnd])
			hits = append(hits, secretHit{off: start, end: bodyEnd, kind: kind, value: value, doc: docKeys[value]})
		}
	}
	if len(hits) > 1 {
		sortHits(hits)
	}
	return hits
}

func sortHits(h []secretHit) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].off < h[j-1].off; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

func kindAt(b []byte) *secretKind {
	for i := range secretKinds {
		if bytes.HasPrefix(b, []byte(secretKinds[i].prefix)) {
			return &secretKinds[i]
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// placeholderWords mark a key body as an example rather than a key. Random
// base62 contains one of them by chance about once in ten million keys.
var placeholderWords = []string{"xxxx", "your", "here", "example", "placeholder", "replace", "dummy", "redacted", "changeme", "insert", "sample", "mykey", "secret"}

// isPlaceholderBody reports whether body is what documentation and
// templates put after a key prefix: too short, made of few distinct
// characters, a counting sequence, or containing a placeholder word.
func isPlaceholderBody(body []byte, minLen int) bool {
	if len(body) < minLen {
		return true
	}
	var seen [128]bool
	distinct, ascending := 0, 0
	for i, c := range body {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
		if i > 0 && c == body[i-1]+1 {
			ascending++
		}
	}
	if distinct < 4 || ascending*10 > len(body)*6 {
		return true
	}
	lower := bytes.ToLower(body)
	for _, w := range placeholderWords {
		if bytes.Contains(lower, []byte(w)) {
			return true
		}
	}
	return false
}

// docKeys are the test keys that Stripe publishes in its own documentation
// and samples: public, so reported at low only. They are assembled at run time so
// that this file holds no key-shaped literal.
var docKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, body := range []string{"4eC39HqLyjWDarjtT1zdp7dc", "BQokikJOvBiI2HlWgH4olfQ2", "26PHem9AhJZvU623DfE1x4sd", "tR3PYbcVNZZ796tH88S4VQ2u"} {
		m["sk_"+"test_"+body] = true
	}
	return m
}()

// Line contexts that change what a secret in code means. Each is matched
// against the lower-cased text before the secret on its line.
var (
	fallbackBefore = regexp.MustCompile(`(environ\.get\(|getenv\(|env\.fetch\(|\.get\(\s*['"][\w.-]*['"]\s*,|\|\||\?\?|\bor\b|\?:|:-)\s*['"]?$`)
	clientBefore   = regexp.MustCompile(`(stripe\.api_key|stripe\.key|stripe\.apikey|stripe\.newclient\(|client\.new\(|\.init\(|stripeclient\(|require\(\s*['"]stripe['"]\s*\)\s*\(|\bstripe\s*\(|new\s+stripe(client)?\s*\(|stripe::|\b[\w.]*(key|secret|stripe|token)\w*['"]?\s*(:=|=|:|=>))\s*['"]?$`)
)

// checkSecrets reports the secrets in one file. src is nil for files that
// are not code; for code it tells strings from comments.
func checkSecrets(f *fileCtx, src *source) {
	hits := findSecrets(f.data)
	if len(hits) == 0 {
		return
	}
	var starts []int
	for _, h := range hits {
		if starts == nil {
			starts = lineStarts(f.data)
		}
		line, col := lineColIn(f.data, starts, h.off)
		lineStart := starts[line-1]
		before := strings.ToLower(strings.TrimRight(string(f.data[lineStart:h.off]), " \t"))
		rule, sev := h.kind.rule, h.kind.sev
		what := "in " + describeFile(f)
		if src != nil && src.inString(h.off) {
			switch {
			case fallbackBefore.MatchString(before):
				rule, what = "secret-fallback", "as the default value of a missing setting"
			case h.kind.prefix == "whsec_":
				rule, what = "webhook-secret-hardcoded", "in code"
			case clientBefore.MatchString(before):
				rule, what = "secret-in-code", "assigned in code"
			}
		}
		if !f.rules.Has(rule) {
			rule = h.kind.rule // the context's rule is off, the secret is still a secret
		}
		if h.doc {
			// Public, so not a leak; but code that ships it talks to a
			// sandbox that everyone shares, and was copied from a sample.
			rule, sev, what = h.kind.rule, Low, what+": Stripe's published documentation key, shared by everyone who copies the sample"
		}
		red := redact(h.kind.prefix, h.value)
		f.add(Finding{
			RuleID:   rule,
			Severity: sev,
			Line:     line,
			Column:   col,
			Message:  fmt.Sprintf("Stripe %s %s %s", h.kind.name, red, what),
			Secret:   red,
			anchor:   hashSecret(h.value),
		})
	}
}

func describeFile(f *fileCtx) string {
	switch {
	case f.lang.isCode():
		return "a comment or source file"
	case f.lang == langEnv:
		return "an environment file"
	case f.lang == langMarkdown:
		return "documentation"
	}
	return "a file"
}
