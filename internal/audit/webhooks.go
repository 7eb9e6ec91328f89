package audit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// webhookFacts are what a file tells about webhook handling, for the
// checks that follow events across functions and files.
type webhookFacts struct {
	verifies      bool                // calls a signature verification
	usesEvent     bool                // reads an event's type or data
	parses        []parseFact         // unverified parses of a request body
	verifyHelpers []string            // functions here that verify
	parseHelpers  []string            // functions here that parse without verifying
	calls         map[string]siteFact // first call of each function name
}

type parseFact struct {
	siteFact
	isEvent bool // the parse itself yields a Stripe event (construct_from, stripe.Event)
	fn      string
}

var (
	verifyCall = regexp.MustCompile(`\bconstruct_event\s*\(|\bverify_header\s*\(|\bconstructEvent(?:Async)?\s*\(|\bverifyHeader\s*\(|\bwebhook\.(?:ConstructEvent\w*|ValidatePayload\w*)\s*\(|\bhmac\.(?:Equal|compare_digest)\s*\(|\btimingSafeEqual\s*\(`)
	eventUse   = regexp.MustCompile(`\b\w*(?:event|evt)\w*\s*(?:\[\s*['"](?:type|data)['"]\s*\]|\.get\(\s*['"]type['"]|\.type\b|\.Type\b|\.data\.object\b|\.Data\.Object\b)|\b(?:req|request)\.body\.(?:type|data)\b`)
	eventName  = regexp.MustCompile(`['"](?:payment_intent|checkout\.session|invoice|customer\.subscription|charge|payout|setup_intent|subscription_schedule)\.[a-z_.]+['"]`)
	anyCall    = regexp.MustCompile(`\b([A-Za-z_]\w*)\s*\(`)

	pyParse = regexp.MustCompile(`\bjson\.loads\s*\(\s*(?:(?:self\.)?request\.(?:data|body|get_data\s*\(\s*\))|payload|body|raw_body|request_body)\b|\bstripe\.Event\.construct_from\s*\(|\b(?:request|req)\.get_json\s*\(|\bawait\s+request\.json\s*\(|\brequest\.json\b`)
	jsParse = regexp.MustCompile(`\bJSON\.parse\s*\(\s*(?:(?:req|request|ctx\.request)\.(?:body|rawBody)|payload|body|rawBody)\b|\b(?:const|let|var)\s+\w*(?:event|evt)\w*\s*=\s*(?:req|request|ctx\.request)\.body\b|\b(?:req|request)\.body\.(?:type|data)\b`)
	goParse = regexp.MustCompile(`\bjson\.Unmarshal\s*\(\s*[\w.()]+\s*,\s*&(\w+)\s*\)|\bjson\.NewDecoder\(\s*\w+\.Body\s*\)\.Decode\(\s*&(\w+)\s*\)`)
)

// checkWebhooks runs the per-file webhook checks and records what the
// cross-file check needs.
func checkWebhooks(f *fileCtx, src *source) {
	if !f.rules.family(FamilyWebhooks) {
		return
	}
	w := &webhookFacts{calls: map[string]siteFact{}}
	verifies := liveMatches(verifyCall, src)
	w.verifies = len(verifies) > 0
	w.usesEvent = len(liveMatches(eventUse, src)) > 0 || eventName.Match(src.raw)
	for _, v := range verifies {
		if fn := enclosingFunc(src, f.lang, v.start); fn != "" {
			w.verifyHelpers = append(w.verifyHelpers, fn)
		}
	}
	site := func(off int) siteFact {
		l, c := src.lineCol(off)
		return siteFact{lang: f.lang, line: l, col: c, anchor: codeAnchor(src.line(l))}
	}
	var parseRe *regexp.Regexp
	switch f.lang {
	case langPython:
		parseRe = pyParse
	case langJS:
		parseRe = jsParse
	case langGo:
		parseRe = goParse
	default:
		return
	}
	for _, m := range liveMatches(parseRe, src) {
		p := parseFact{siteFact: site(m.start)}
		text := string(src.code[m.start:m.end])
		switch f.lang {
		case langGo:
			v := m.group(src, 1) + m.group(src, 2)
			if !goIsStripeEvent(src, v) || !strings.Contains(string(src.code), "http.Request") {
				continue
			}
			p.isEvent = true
		case langPython:
			p.isEvent = strings.Contains(text, "construct_from")
		case langJS:
			p.isEvent = strings.Contains(text, "=") || strings.Contains(text, ".body.")
		}
		p.fn = enclosingFunc(src, f.lang, m.start)
		w.parses = append(w.parses, p)
		if p.fn != "" {
			w.parseHelpers = append(w.parseHelpers, p.fn)
		}
	}
	for _, m := range liveMatches(anyCall, src) {
		name := m.group(src, 1)
		before := strings.TrimRight(string(src.code[max(0, m.start-10):m.start]), " \t")
		if strings.HasSuffix(before, "func") || strings.HasSuffix(before, "def") || strings.HasSuffix(before, "function") || strings.HasSuffix(before, ")") {
			continue // a definition (or a Go method's receiver), not a call
		}
		if _, ok := w.calls[name]; !ok {
			w.calls[name] = site(m.start)
		}
	}
	if w.verifies {
		checkFailOpen(f, src, verifies, w)
		checkTolerance(f, src, verifies)
		checkVerifyErrors(f, src, verifies)
	}
	checkRawBody(f, src)
	f.facts.webhook = w
}

// goIsStripeEvent reports whether variable v is declared as a stripe.Event.
func goIsStripeEvent(src *source, v string) bool {
	if v == "" {
		return false
	}
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(v) + `\s+(?:\*?stripe\.Event)\b|\b` + regexp.QuoteMeta(v) + `\s*:?=\s*&?stripe\.Event\s*\{`)
	return re.Match(src.code)
}

// finishWebhooks reports unverified event handling once every file is
// known: a handler is excused by a verification in a helper it calls, in
// any file, and an event parsed by a helper in another file is reported
// where the handler uses it.
func finishWebhooks(files []*fileCtx) {
	verifyHelpers := map[string]bool{}
	parseHelpers := map[string]*fileCtx{}
	for _, f := range files {
		w := f.facts.webhook
		if w == nil {
			continue
		}
		for _, n := range w.verifyHelpers {
			verifyHelpers[n] = true
		}
		if !w.verifies {
			for _, n := range w.parseHelpers {
				if parseHelpers[n] == nil {
					parseHelpers[n] = f
				}
			}
		}
	}
	for _, f := range files {
		w := f.facts.webhook
		if w == nil || w.verifies {
			continue
		}
		excused := false
		for name := range w.calls {
			if verifyHelpers[name] {
				excused = true
				break
			}
		}
		if excused {
			continue
		}
		lines := map[int]bool{}
		for _, p := range w.parses {
			if (p.isEvent || w.usesEvent) && !lines[p.line] {
				lines[p.line] = true // construct_from(request.get_json()) is one mistake
				f.add(Finding{RuleID: "webhook-unverified", Severity: Critical, Line: p.line, Column: p.col,
					Message: "Webhook event parsed from the request body and used without verifying its Stripe-Signature", anchor: p.anchor})
			}
		}
		if !w.usesEvent {
			continue
		}
		for _, name := range sortedKeys(w.calls) {
			hf := parseHelpers[name]
			if hf == nil || hf == f {
				continue
			}
			c := w.calls[name]
			f.add(Finding{RuleID: "webhook-unverified", Severity: Critical, Line: c.line, Column: c.col,
				Message: fmt.Sprintf("Webhook event comes from %s() in %s, which parses the request body without verifying its Stripe-Signature", name, hf.rel),
				anchor:  c.anchor})
		}
	}
}

var (
	secretCond = regexp.MustCompile(`(?i)\b\w*(?:secret|whsec|signing_?key)\w*\b`)
	magicCond  = regexp.MustCompile(`(?i)(?:sig\w*|signature|header\w*|token)\s*(?:==|===|!=|!==)\s*['"]|['"]\s*(?:==|===)\s*\w*sig|skip_?verif|bypass|no_?verify|disable_?verif|insecure|\bdebug\b|\btesting\b|node_env|\.get\(\s*['"]x-[\w-]+['"]\s*\)\s*(?:==|===)`)
	pyIfLine   = regexp.MustCompile(`(?m)^[ \t]*(?:el)?if\s+(.+?):[ \t]*$`)
	cIfLine    = regexp.MustCompile(`\bif\s*\(?\s*(.+?)\s*\)?\s*\{`)
	unverified = regexp.MustCompile(`\bjson\.loads\s*\(|\bJSON\.parse\s*\(|\bconstruct_from\s*\(|\brequest\.json\b|\bget_json\s*\(|=\s*(?:req|request)\.body\b|\bjson\.Unmarshal\s*\(`)
)

// checkFailOpen reports verification that can be skipped: done only when
// a secret is configured, or bypassed for a magic value or a debug flag.
func checkFailOpen(f *fileCtx, src *source, verifies []match, w *webhookFacts) {
	ifRe := cIfLine
	if f.lang == langPython {
		ifRe = pyIfLine
	}
	for _, m := range liveMatches(ifRe, src) {
		cond := m.group(src, 1)
		ifLine := src.lineOf(m.start)
		near := false
		for _, v := range verifies {
			if d := src.lineOf(v.start) - ifLine; d >= -15 && d <= 15 && abs(v.start-m.start) < 2000 {
				near = true
			}
		}
		if !near {
			continue
		}
		// The window is bounded in lines and in bytes: minified code has
		// everything on one line.
		from := max(src.lineStart(max(1, ifLine-8)), m.start-800)
		to := min(src.lineStart(min(src.numLines(), ifLine+16)+1), m.start+1600, len(src.code))
		window := src.code[from:to]
		parses := unverified.Match(window)
		var why string
		switch {
		case magicCond.MatchString(cond) && parses:
			why = "bypassed when a condition on a header, flag or magic value holds (" + strings.TrimSpace(cond) + ")"
		case secretCond.MatchString(cond) && parses && !strings.Contains(strings.ToLower(cond), "sig"):
			why = "done only when a secret is configured (" + strings.TrimSpace(cond) + "); without one, events are accepted unverified"
		default:
			continue
		}
		f.add(at(src, m.start+leadingSpace(src.code[m.start:m.end]), "webhook-fail-open", Critical, "Webhook signature verification "+why))
	}
}

func leadingSpace(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t' || b[n] == '\n') {
		n++
	}
	return n
}

var (
	pyTolerance = regexp.MustCompile(`\btolerance\s*=\s*(None|0|[0-9_]+)\b`)
	goNoTol     = regexp.MustCompile(`\b(?:ConstructEventIgnoringTolerance|ValidatePayloadIgnoringTolerance)\s*\(|\bIgnoreTolerance\s*:\s*true\b`)
)

// checkTolerance reports verification with the timestamp check disabled
// (tolerance None or 0 in Python and Node, the IgnoringTolerance forms in
// Go) or widened past an hour.
func checkTolerance(f *fileCtx, src *source, verifies []match) {
	if f.lang == langGo {
		for _, m := range liveMatches(goNoTol, src) {
			f.add(at(src, m.start, "webhook-tolerance-disabled", High, "Webhook verification ignores the timestamp: replayed events are accepted forever"))
		}
		return
	}
	for _, v := range verifies {
		callee := strings.TrimSpace(strings.TrimRight(string(src.code[v.start:v.end]), "( \t"))
		if !strings.Contains(callee, "onstruct") && !strings.Contains(callee, "erify") {
			continue
		}
		open := v.end - 1
		end := closeParen(src, open)
		if end < 0 {
			continue
		}
		args := splitArgs(src, open, end)
		tol := ""
		if f.lang == langPython {
			if m := pyTolerance.FindSubmatch(src.code[open:end]); m != nil {
				tol = string(m[1])
			} else if len(args) >= 4 && !strings.Contains(src.text(args[3]), "=") {
				tol = src.text(args[3])
			}
		} else if len(args) >= 4 {
			tol = src.text(args[3])
		}
		if tol == "" {
			continue
		}
		switch tol {
		case "None", "0", "null", "undefined", "Infinity", "-1", "Number.MAX_SAFE_INTEGER", "Number.MAX_VALUE", "Number.POSITIVE_INFINITY":
			f.add(at(src, args[min(3, len(args)-1)].start+leadingSpace(src.code[args[min(3, len(args)-1)].start:]), "webhook-tolerance-disabled", High,
				fmt.Sprintf("Webhook verification with tolerance %s: the timestamp is not checked, so a captured event can be replayed", tol)))
			continue
		}
		if n, err := strconv.Atoi(strings.ReplaceAll(tol, "_", "")); err == nil && n > 3600 {
			f.add(at(src, v.start, "webhook-tolerance-disabled", Medium,
				fmt.Sprintf("Webhook verification with a tolerance of %d seconds: replays are accepted for that long (default 300)", n)))
		}
	}
}

var (
	rejects     = regexp.MustCompile(`\braise\b|\bthrow\b|\babort\s*\(|\b4\d\d\b|BadRequest|HTTPException|status\.HTTP_4|StatusBadRequest|StatusUnauthorized|StatusForbidden|http\.Error\s*\(|sendStatus\(\s*4|status\(\s*4|panic\s*\(|\bnext\s*\(\s*\w+\s*\)`)
	accepts2xx  = regexp.MustCompile(`\b20[0-4]\b|StatusOK|StatusNoContent|StatusAccepted|success\s*=\s*True|received\s*:\s*true|sendStatus\(\s*2|\bpass\b|\bcontinue\b`)
	returnsStmt = regexp.MustCompile(`\breturn\b`)
	goIgnoreErr = regexp.MustCompile(`\b\w+\s*,\s*_\s*:?=\s*webhook\.(?:ConstructEvent\w*|ValidatePayload\w*)\s*\(`)
	jsTry       = regexp.MustCompile(`\btry\s*\{`)
	jsCatch     = regexp.MustCompile(`^\s*catch\s*(?:\(\s*\w*\s*\))?\s*\{`)
	goIfErr     = regexp.MustCompile(`\bif\s+err\s*!=\s*nil\s*\{`)
)

// checkVerifyErrors reports verification failures answered with 2xx or
// swallowed, so that processing goes on with an unverified event.
func checkVerifyErrors(f *fileCtx, src *source, verifies []match) {
	switch f.lang {
	case langPython:
		done := map[int]bool{}
		for _, v := range verifies {
			try := pyEnclosingTry(src, src.lineOf(v.start))
			if try == 0 || done[try] {
				continue
			}
			done[try] = true
			for _, c := range pyExcepts(src, try) {
				body := strings.Join(c.body(src), "\n")
				if verdict := judgeHandler(body); verdict != "" {
					f.add(at(src, src.lineStart(c.line)+leadingSpace(src.code[src.lineStart(c.line):]), "webhook-error-ignored", High,
						"Webhook verification failure "+verdict))
				}
			}
		}
	case langJS:
		for _, t := range liveMatches(jsTry, src) {
			open := t.end - 1
			end := closeParen(src, open)
			if end < 0 {
				continue
			}
			inside := false
			for _, v := range verifies {
				if v.start > open && v.start < end {
					inside = true
				}
			}
			if !inside {
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
			if verdict := judgeHandler(string(src.code[copen+1 : cend])); verdict != "" {
				f.add(at(src, end+1+leadingSpace(rest), "webhook-error-ignored", High, "Webhook verification failure "+verdict))
			}
		}
	case langGo:
		seen := map[int]bool{}
		for _, m := range liveMatches(goIgnoreErr, src) {
			f.add(at(src, m.start, "webhook-error-ignored", High, "Webhook verification error discarded with _: the event is used whether or not it verified"))
		}
		for _, v := range verifies {
			if !strings.Contains(string(src.code[v.start:v.end]), "webhook.") {
				continue
			}
			rest := src.code[v.end:min(len(src.code), v.end+400)]
			m := goIfErr.FindIndex(rest)
			if m == nil {
				continue
			}
			open := v.end + m[1] - 1
			end := closeParen(src, open)
			if end < 0 || seen[open] {
				continue
			}
			seen[open] = true
			if verdict := judgeHandler(string(src.code[open+1 : end])); verdict != "" {
				f.add(at(src, v.end+m[0], "webhook-error-ignored", High, "Webhook verification failure "+verdict))
			}
		}
	}
}

// judgeHandler reads the body of an error handler after a failed
// verification. It returns why the failure is ignored, or "" if the
// handler rejects the request.
func judgeHandler(body string) string {
	t := strings.TrimSpace(body)
	switch {
	case t == "" || t == "pass" || t == "continue":
		return "is swallowed: the handler goes on"
	case rejects.MatchString(t):
		return ""
	case accepts2xx.MatchString(t):
		return "is answered with success (2xx), so Stripe stops retrying and the event is lost or forged events pass"
	case !returnsStmt.MatchString(t):
		return "is only logged: the handler goes on with an unverified event"
	}
	return ""
}

var (
	jsJSONParser = regexp.MustCompile(`\b(?:app|router|server)\.use\(\s*(?:express|bodyParser)\.json\(\s*\)\s*\)`)
	jsHookRoute  = regexp.MustCompile(`\b(?:app|router|server)\.(?:post|all|use)\(\s*['"][^'"]*(?:webhook|stripe)[^'"]*['"]`)
	pyReencoded  = regexp.MustCompile(`\bconstruct_event\s*\(\s*(?:json\.dumps\s*\(|request\.json\b|request\.get_json\s*\(|str\s*\(\s*request\.json)`)
)

// checkRawBody reports verification that cannot work because the raw
// body was parsed first: a global express.json() before the webhook route,
// or JSON re-serialized for construct_event.
func checkRawBody(f *fileCtx, src *source) {
	switch f.lang {
	case langJS:
		parsers := liveMatches(jsJSONParser, src)
		if len(parsers) == 0 {
			return
		}
		for _, r := range liveMatches(jsHookRoute, src) {
			if r.start < parsers[0].start {
				continue
			}
			end := closeParen(src, r.end-len(r.group(src, 0))+strings.IndexByte(r.group(src, 0), '('))
			if end > 0 && strings.Contains(string(src.code[r.start:end]), "raw(") {
				continue
			}
			f.add(at(src, parsers[0].start, "webhook-raw-body-lost", High,
				fmt.Sprintf("express.json() parses every body before the webhook route on line %d: signature verification needs the raw body", src.lineOf(r.start))))
			return
		}
	case langPython:
		for _, m := range liveMatches(pyReencoded, src) {
			f.add(at(src, m.start, "webhook-raw-body-lost", High, "construct_event is given re-serialized JSON: the signature covers the raw bytes (request.data), so verification fails or is then bypassed"))
		}
	}
}
