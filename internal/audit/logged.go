package audit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/paywarden/paywarden/internal/audit/syntax"
)

// Calls whose arguments end up in a log, on a console or in an HTTP
// response, per language.
var (
	pyOutputCall = regexp.MustCompile(`\b(print|pprint|logging\.\w+|\w*log(?:ger)?\.\w+|sys\.std(?:out|err)\.write|jsonify|JsonResponse|HttpResponse|make_response|Response)\s*\(`)
	jsOutputCall = regexp.MustCompile(`\b(console\.\w+|\w*[lL]ogger\.\w+|log\.\w+|res\.(?:status\(\s*\d+\s*\)\.)?(?:send|json|write|end)|response\.(?:send|json|write|end)|reply\.send)\s*\(`)
	goOutputCall = regexp.MustCompile(`\b(log\.\w+|fmt\.(?:Print\w*|Fprint\w*)|slog\.\w+|\w*[lL]og(?:ger)?\.(?:Print\w*|Info\w*|Error\w*|Warn\w*|Debug\w*|Fatal\w*|Panic\w*)|w\.Write|json\.NewEncoder\(\s*\w+\s*\)\.Encode|http\.Error)\s*\(`)
	// pyReturnDict catches `return {"key": stripe.api_key}` in a view.
	pyReturnDict = regexp.MustCompile(`\breturn\s+(\{)`)

	// secretRef finds expressions that hold a Stripe secret key.
	secretRef = regexp.MustCompile(`(?i)\b(stripe\.api_key|stripe\.Key|process\.env\.\w*(?:key|secret)\w*|os\.environ(?:\.get)?\s*[\[(]\s*['"]\w*(?:key|secret)\w*['"]\s*[\])]?|os\.getenv\(\s*['"]\w*(?:key|secret)\w*['"]\s*\)|os\.Getenv\(\s*"\w*(?:key|secret)\w*"\s*\)|\w*secret_?key|stripe_?(?:api_?)?key|api_?key|restricted_?key|(?:webhook|endpoint|signing)_?secret)\b`)

	sliceAfter = regexp.MustCompile(`^\s*\[\s*(-?\d*)\s*:\s*(-?\d*)\s*\]`)
	jsSlice    = regexp.MustCompile(`^\s*\.(?:slice|substring|substr)\(\s*(\d+)\s*,\s*(\d+)\s*\)`)
	// A comparison or test right after the reference prints a boolean.
	// Optional chaining (key?.trim()) and ?? are not a ternary's test.
	testAfter = regexp.MustCompile(`^\s*(is\b|==|!=|===|!==|\?(?:[^.?]|$)|\.startswith|\.startsWith|\.endswith|\.HasPrefix|\.length\b|\.len\b)`)
)

// formatFuncs are calls that pass a secret through unchanged into text;
// any other call around a reference (len, bool, mask, fingerprint...) is
// assumed to transform it.
var formatFuncs = map[string]bool{"str": true, "repr": true, "format": true, "Sprintf": true, "Sprint": true, "Sprintln": true, "String": true, "stringify": true, "toString": true, "Errorf": true, "dict": true, "string": true, "byte": true}

// checkLogged reports Stripe keys passed to print, log and console calls
// or written into HTTP responses, including partial prints longer than
// the seven characters of a key's prefix.
func checkLogged(f *fileCtx, src *source) {
	if !f.rules.Has("secret-logged") {
		return
	}
	var re *regexp.Regexp
	switch f.lang {
	case langPython:
		re = pyOutputCall
	case langJS:
		re = jsOutputCall
	case langGo:
		re = goOutputCall
	default:
		return
	}
	calls := liveMatches(re, src)
	if f.lang == langPython {
		calls = append(calls, liveMatches(pyReturnDict, src)...)
	}
	refs := []*regexp.Regexp{secretRef}
	if a := secretAliases(src, f.lang); a != nil {
		refs = append(refs, a)
	}
	seen := map[int]bool{}
	for _, c := range calls {
		open := c.end - 1
		if src.code[open] != '(' && src.code[open] != '{' {
			continue
		}
		end := closeParen(src, open)
		if end < 0 {
			continue
		}
		callee := c.group(src, 1)
		for _, m := range findRefs(refs, src.code[open+1:end]) {
			rs, re := open+1+m[0], open+1+m[1]
			ref := string(src.code[rs:re])
			if seen[rs] || isPublicRef(ref) || !refIsPrinted(src, open, rs, re) {
				continue
			}
			n, partial := printedLength(src, re)
			if partial && n >= 0 && n <= 7 {
				continue
			}
			seen[rs] = true
			what := "passed whole to " + callee
			if callee == "" {
				what = "returned in a response"
			}
			if partial {
				if n < 0 {
					what = fmt.Sprintf("partly passed to %s (more than 7 characters)", callee)
				} else {
					what = fmt.Sprintf("partly passed to %s (%d characters; at most 7, the prefix, are safe)", callee, n)
				}
			}
			f.add(at(src, rs, "secret-logged", High, fmt.Sprintf("Secret %s %s", ref, what)))
			break // one finding per call is enough to fix it
		}
	}
}

// secretAliases returns a pattern of the variables that this file assigns
// from a secret reference (key = os.environ["STRIPE_SECRET_KEY"]), or nil.
// Only values that are the secret count: a name, an attribute, an
// environment lookup, a default (a || b, a ?? b, a or b), a conditional or
// a string built from it. The result of any other call is not the secret:
// the event returned by constructEvent(body, sig, secret) is not secret.
func secretAliases(src *source, l lang) *regexp.Regexp {
	root := src.syntaxTree(l)
	if root == nil {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	syntax.Walk(root, func(n *syntax.Node) bool {
		if n.Kind != syntax.Assign || n.Value == nil || len(n.Targets) != 1 {
			return true
		}
		t := n.Targets[0]
		if t.Kind != syntax.Ident || seen[t.Name] || secretRef.MatchString(t.Name) {
			return true
		}
		if holdsSecret(src, n.Value) {
			seen[t.Name] = true
			names = append(names, regexp.QuoteMeta(t.Name))
		}
		return true
	})
	if len(names) == 0 {
		return nil
	}
	return regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
}

// envLookups are the calls that read a setting, whose result is the secret.
var envLookups = map[string]bool{"os.environ.get": true, "os.getenv": true, "os.Getenv": true, "environ.get": true, "getenv": true,
	"config": true, "env": true, "os.LookupEnv": true, "settings.get": true}

// holdsSecret reports whether expression v evaluates to a secret key.
func holdsSecret(src *source, v *syntax.Node) bool {
	text := v.Text(src.raw)
	switch v.Kind {
	case syntax.Ident, syntax.Member, syntax.Index:
		r := secretRef.FindString(text)
		return r != "" && !isPublicRef(r)
	case syntax.Call:
		p := v.CalleePath()
		if envLookups[p] || formatFuncs[v.CalleeName()] {
			r := secretRef.FindString(text)
			return r != "" && !isPublicRef(r)
		}
		return false
	case syntax.Ternary:
		return holdsSecret(src, v.Then) || holdsSecret(src, v.Else)
	case syntax.String:
		for _, k := range v.Kids {
			if holdsSecret(src, k) {
				return true
			}
		}
		return false
	case syntax.Other:
		switch v.Type {
		case "binary_expression", "boolean_operator", "BinaryExpr", "logical_expression":
			for _, k := range v.Kids {
				if holdsSecret(src, k) {
					return true
				}
			}
		}
	}
	return false
}

// findRefs returns the spans of every reference in b, by any pattern.
func findRefs(res []*regexp.Regexp, b []byte) [][]int {
	var out [][]int
	for _, re := range res {
		out = append(out, re.FindAllIndex(b, -1)...)
	}
	return out
}

// isPublicRef reports references to publishable keys, which are public.
func isPublicRef(ref string) bool {
	l := strings.ToLower(ref)
	return strings.Contains(l, "publishable") || strings.Contains(l, "public") || strings.Contains(l, "_pk")
}

// refIsPrinted decides whether a reference inside a call's arguments is
// printed as it is. Inside a string it counts only within {...}
// interpolation; wrapped in another call it counts only if that call
// merely formats it; compared or tested it is a boolean, not the key.
func refIsPrinted(src *source, open, rs, re int) bool {
	if src.inString(rs) {
		i := rs - 1
		for i > open && src.inString(i) && src.raw[i] != '{' && src.raw[i] != '}' {
			i--
		}
		if src.raw[i] != '{' {
			return false
		}
	}
	if testAfter.Match(src.code[re:min(re+16, len(src.code))]) {
		return false
	}
	// Find the innermost unclosed paren between the call's own and the ref.
	depth := 0
	for i := rs - 1; i > open; i-- {
		if src.inString(i) {
			continue
		}
		switch src.code[i] {
		case ')', ']':
			depth++
		case '(', '[':
			if depth > 0 {
				depth--
				continue
			}
			if src.code[i] == '[' {
				continue // a list or an index: still printed
			}
			j := i
			for j > open && (isAlnum(src.code[j-1]) || src.code[j-1] == '_' || src.code[j-1] == '.') {
				j--
			}
			name := string(src.code[j:i])
			if k := strings.LastIndexByte(name, '.'); k >= 0 {
				name = name[k+1:]
			}
			return name == "" || formatFuncs[name]
		}
	}
	return true
}

// printedLength reads a slice right after a reference: [:12], [0:12],
// .slice(0, 12). It returns the number of characters printed (-1 if
// unknown) and whether only part of the key is printed.
func printedLength(src *source, re int) (int, bool) {
	rest := src.code[re:min(re+40, len(src.code))]
	if m := sliceAfter.FindSubmatch(rest); m != nil {
		from, to := string(m[1]), string(m[2])
		a, _ := strconv.Atoi(from)
		switch {
		case to == "" && a < 0: // [-4:]: the last characters
			return -a, true
		case to == "":
			return -1, true
		}
		b, err := strconv.Atoi(to)
		if err != nil || b < 0 {
			return -1, true
		}
		return b - a, true
	}
	if m := jsSlice.FindSubmatch(rest); m != nil {
		a, _ := strconv.Atoi(string(m[1]))
		b, _ := strconv.Atoi(string(m[2]))
		return b - a, true
	}
	return -1, false
}
