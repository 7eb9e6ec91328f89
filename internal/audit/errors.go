package audit

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paywarden/paywarden/internal/audit/syntax"
)

var (
	// pyStripeCall is a call of the Stripe API from Python: the resource
	// classes (stripe.Customer.create) and StripeClient services
	// (client.v1.customers.create).
	pyStripeCall = regexp.MustCompile(`\bstripe\.(?:[A-Z]\w*\.)+(?:create|retrieve|modify|update|delete|list|search|confirm|capture|cancel|pay|finalize_invoice|void_invoice|attach|detach|refund|close|construct_event|upcoming|[a-z]+_[a-z_]+)\s*\(|\bclient\.(?:v1\.)?[a-z_]+\.(?:create|retrieve|update|delete|list|search|confirm|capture|cancel)\s*\(`)
	pyErrHandler = regexp.MustCompile(`errorhandler\(\s*stripe\.`)
	broadExcept  = regexp.MustCompile(`^(?:|\(?\s*(?:Exception|BaseException)\b.*|\([^)]*\b(?:Exception|BaseException)\b[^)]*\))$`)
	// quietLine is a handler line that neither re-raises nor answers:
	// pass, printing, logging, or returning nothing.
	quietLine    = regexp.MustCompile(`^(?:pass|continue|return(?:\s+(?:None|False))?|print\b.*|(?:logging|logger|log|\w*_logger|self\.log\w*|app\.logger|current_app\.logger)\.\w+\(.*|traceback\.print_exc\(\)|sentry_sdk\.capture_exception\(.*\)|\w+\s*=\s*None)$`)
	respondLine  = regexp.MustCompile(`\breturn\b|\bjsonify\s*\(|\b(?:Json|Http)?Response\s*\(|\babort\s*\(|\bmake_response\s*\(`)
	logLine      = regexp.MustCompile(`\b(?:print|logging\.\w+|logger\.\w+|log\.\w+|\w*_logger\.\w+)\s*\(`)
	pyReqBodyLog = regexp.MustCompile(`\b(?:print|logging\.\w+|logger\.\w+|log\.\w+|app\.logger\.\w+)\s*\([^\n]*\b(?:request\.(?:data|body|get_data\s*\(\s*\)|get_json\s*\(\s*\)|json)|payload)\b`)
	retriesOff   = regexp.MustCompile(`\bmax_network_retries\s*=\s*0\b|\bmaxNetworkRetries\s*:\s*0\b|\bMaxNetworkRetries\s*:\s*stripe\.Int64\(\s*0\s*\)`)

	jsStripeCall = regexp.MustCompile(`\bstripe\.[a-zA-Z]+\.(?:[a-zA-Z]+\.)?[a-z]\w*\s*\(`)
	jsCatchAll   = regexp.MustCompile(`\bcatch\s*(?:\(\s*(\w*)\s*\))?\s*\{`)
	jsQuiet      = regexp.MustCompile(`^(?:console\.\w+\(.*\);?|\w*[lL]ogger\.\w+\(.*\);?)$`)
	jsReqBodyLog = regexp.MustCompile(`\b(?:console\.\w+|\w*[lL]ogger\.\w+)\s*\([^\n]*\b(?:req|request)\.body\b`)
	goStripeIgn  = regexp.MustCompile(`\b\w+\s*,\s*_\s*:?=\s*(?:\w+\.)+(?:New|Get|Update|Del|List|Confirm|Capture|Cancel|Pay|Refund)\s*\(`)
	goErrToUser  = regexp.MustCompile(`\bhttp\.Error\s*\(\s*\w+\s*,\s*err\.Error\(\)|\bfmt\.Fprint\w*\(\s*w\s*,[^\n]*\berr\b`)
)

// checkErrors runs the error-handling rules on one file.
func checkErrors(f *fileCtx, src *source) {
	if !f.rules.family(FamilyErrors) {
		return
	}
	for _, m := range liveMatches(retriesOff, src) {
		f.add(at(src, m.start, "error-retries-disabled", Low, "Stripe network retries set to 0: a dropped connection fails the payment instead of retrying it safely"))
	}
	switch f.lang {
	case langPython:
		checkPythonErrors(f, src)
	case langJS:
		checkJSErrors(f, src)
	case langGo:
		if !strings.Contains(string(src.code), "stripe-go") {
			return
		}
		for _, m := range liveMatches(goStripeIgn, src) {
			f.add(at(src, m.start, "error-swallowed", Medium, "Stripe call's error discarded with _"))
		}
		for _, m := range liveMatches(goErrToUser, src) {
			f.add(at(src, m.start, "error-leaked", Medium, "Error text written to the HTTP response: Stripe errors carry request ids, parameters and internal detail"))
		}
	}
}

// checkPythonErrors reads the syntax tree: a Stripe call outside the body
// of any try in its function is unhandled; the except clauses of a try
// around Stripe calls are judged for swallowing and leaking the error.
func checkPythonErrors(f *fileCtx, src *source) {
	root := src.syntaxTree(f.lang)
	if root == nil {
		return
	}
	handledGlobally := pyErrHandler.Match(src.code)
	var tries []*syntax.Node
	seen := map[*syntax.Node]bool{}
	for _, c := range syntax.Find(root, syntax.Call) {
		name := c.CalleePath()
		if name == "" || !pyStripeCall.MatchString(name+"(") || isVerifyOrLocal(name) {
			continue // signature verification is judged by the webhook rules
		}
		try := enclosingTryBody(c)
		if try == nil {
			if !handledGlobally {
				f.add(nodeAt(src, c, "error-unhandled", Medium, fmt.Sprintf("%s() can raise stripe.error.StripeError (card declined, network, rate limit) and nothing catches it", name)))
			}
			continue
		}
		if !seen[try] {
			seen[try] = true
			tries = append(tries, try)
		}
	}
	for _, try := range tries {
		for _, c := range try.Catches {
			body := statementLines(src, c.Body)
			catches := strings.TrimSpace(c.Cond.Text(src.raw))
			if broadExcept.MatchString(catches) && allQuiet(body) {
				what := "except " + catches
				if catches == "" {
					what = "bare except"
				}
				f.add(nodeAt(src, c, "error-swallowed", Medium, fmt.Sprintf("%s around a Stripe call swallows the error: the code goes on as if the call succeeded", what)))
			}
			if c.Name == "" {
				continue
			}
			if leak := pyLeak(body, regexp.QuoteMeta(c.Name)); leak != "" {
				f.add(nodeAt(src, c, "error-leaked", Medium, leak))
			}
		}
	}
	for _, m := range liveMatches(pyReqBodyLog, src) {
		f.add(at(src, m.start, "error-leaked", Medium, "Request body logged whole: webhook and payment payloads carry customer data"))
	}
}

// statementLines returns the statements of a block as single lines of
// text, whitespace runs collapsed.
func statementLines(src *source, b *syntax.Node) []string {
	var out []string
	for _, st := range b.Statements() {
		if t := strings.Join(strings.Fields(st.Text(src.raw)), " "); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func allQuiet(body []string) bool {
	for _, l := range body {
		if !quietLine.MatchString(l) {
			return false
		}
	}
	return true
}

// pyLeak looks in an except body for the caught error going to the client
// or to a log whole.
func pyLeak(body []string, v string) string {
	ref := regexp.MustCompile(`\bstr\(\s*` + v + `\s*\)|\brepr\(\s*` + v + `\s*\)|\b` + v + `\.(?:json_body|http_body|error|args|headers)\b|\{` + v + `\}|[(,]\s*` + v + `\s*[),]`)
	whole := regexp.MustCompile(`\b` + v + `\.(?:json_body|http_body|headers)\b`)
	for _, l := range body {
		if respondLine.MatchString(l) && !logLine.MatchString(l) && ref.MatchString(l) && !strings.Contains(l, v+".user_message") {
			return "Stripe error returned to the client: it can reveal request ids, parameters and account details; return error.user_message or a generic message"
		}
		if logLine.MatchString(l) && whole.MatchString(l) {
			return "Stripe error body logged whole: log the request id and error code instead"
		}
	}
	return ""
}

func checkJSErrors(f *fileCtx, src *source) {
	for _, t := range liveMatches(jsTry, src) {
		open := t.end - 1
		end := closeParen(src, open)
		if end < 0 || !callsStripeAPI(src.code[open:end]) {
			continue
		}
		rest := src.code[end+1:]
		cm := jsCatch.FindIndex(rest)
		if cm == nil {
			continue
		}
		copen := end + 1 + cm[1] - 1
		cend := closeParen(src, copen)
		if cend < 0 {
			continue
		}
		catchAt := end + 1 + leadingSpace(rest)
		v := ""
		if m := jsCatchAll.FindSubmatch(src.code[catchAt : copen+1]); m != nil {
			v = string(m[1])
		}
		body := strings.TrimSpace(string(src.code[copen+1 : cend]))
		quiet := true
		for _, l := range strings.Split(body, "\n") {
			if l = strings.TrimSpace(l); l != "" && !jsQuiet.MatchString(l) {
				quiet = false
			}
		}
		if quiet {
			f.add(at(src, catchAt, "error-swallowed", Medium, "catch around a Stripe call swallows the error: the code goes on as if the call succeeded"))
		}
		if v != "" {
			leak := regexp.MustCompile(`\b(?:res|response|reply|ctx)\.(?:status\(\s*\d+\s*\)\.)?(?:json|send|end|body\s*=)\s*\(?\s*(?:` + v + `\s*\)|\{[^}]*\b` + v + `\s*[,}]|[^)]*\b` + v + `\.(?:raw|stack)\b)`)
			if leak.MatchString(body) {
				f.add(at(src, catchAt, "error-leaked", Medium, "Stripe error sent to the client whole: it can reveal request ids, parameters and account details"))
			}
		}
	}
	for _, m := range liveMatches(jsReqBodyLog, src) {
		f.add(at(src, m.start, "error-leaked", Medium, "Request body logged whole: webhook and payment payloads carry customer data"))
	}
}

// isVerifyOrLocal reports Stripe library calls that make no API request.
func isVerifyOrLocal(call string) bool {
	return strings.Contains(call, "construct_event") || strings.Contains(call, "construct_from") || strings.Contains(call, "constructEvent")
}

// callsStripeAPI reports whether code calls the Stripe API, not counting
// webhook verification.
func callsStripeAPI(code []byte) bool {
	for _, m := range jsStripeCall.FindAll(code, -1) {
		if !isVerifyOrLocal(string(m)) && !strings.Contains(string(m), "webhooks.") {
			return true
		}
	}
	return false
}

var (
	jsTry   = regexp.MustCompile(`\btry\s*\{`)
	jsCatch = regexp.MustCompile(`^\s*catch\s*(?:\(\s*\w*\s*\))?\s*\{`)
)

func leadingSpace(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t' || b[n] == '\n') {
		n++
	}
	return n
}
