package audit

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/paywarden/paywarden/internal/audit/syntax"
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
	passed        []string            // functions passed as arguments or used as decorators
	imports       []importFact        // modules this file imports, resolved to paths
}

type parseFact struct {
	siteFact
	isEvent bool // the parse itself yields a Stripe event (construct_from, stripe.Event)
	fn      string
}

// importFact is one module a file imports: the file paths (without
// extension) it may resolve to, and the names it binds.
type importFact struct {
	paths []string
	names []string
	whole bool // `import x` or `require('./x')`: any name of x may be called as x.name
}

// verifyNames are the calls that verify a webhook's signature, by their
// last name: stripe-python, stripe-node and stripe-go, and the HMAC
// comparisons of a hand-written check.
var verifyNames = map[string]bool{
	"construct_event": true, "verify_header": true, "constructEvent": true, "constructEventAsync": true, "verifyHeader": true,
	"ConstructEvent": true, "ConstructEventWithOptions": true, "ConstructEventWithTolerance": true, "ConstructEventIgnoringTolerance": true,
	"ValidatePayload": true, "ValidatePayloadWithTolerance": true, "ValidatePayloadIgnoringTolerance": true,
	"compare_digest": true, "timingSafeEqual": true,
}

func isVerifyCall(n *syntax.Node) bool {
	if n.Kind != syntax.Call {
		return false
	}
	name := n.CalleeName()
	return verifyNames[name] || name == "Equal" && n.CalleePath() == "hmac.Equal"
}

var (
	eventUse  = regexp.MustCompile(`\b\w*(?:event|evt)\w*\s*(?:\[\s*['"](?:type|data)['"]\s*\]|\.get\(\s*['"]type['"]|\??\.type\b|\.Type\b|\??\.data\??\.object\b|\.Data\.Object\b)|\b(?:req|request)\.body\.(?:type|data)\b`)
	eventName = regexp.MustCompile(`['"](?:payment_intent|checkout\.session|invoice|customer\.subscription|charge|payout|setup_intent|subscription_schedule)\.[a-z_.]+['"]`)
	// bodyArg is an argument that holds a request's raw body.
	bodyArg     = regexp.MustCompile(`^(?:(?:self\.)?request\.(?:data|body|get_data\s*\(\s*\))|(?:req|request|ctx\.request|event)\.(?:body|rawBody)|payload|body|raw_body|rawBody|request_body|requestBody)$`)
	goHandlerIn = regexp.MustCompile(`http\.Request|fiber\.Ctx|gin\.Context|echo\.Context|\bctx\b`)
	eventVar    = regexp.MustCompile(`(?i)event|evt`)
)

// goBinders are the calls of Go web frameworks that decode a request body
// into their argument: net/http with encoding/json, fiber, gin, echo.
var goBinders = map[string]bool{"Unmarshal": true, "Decode": true, "BodyParser": true, "ShouldBindJSON": true, "BindJSON": true,
	"ShouldBind": true, "Bind": true, "ShouldBindBodyWith": true, "ShouldBindWith": true, "MustBindWith": true}

// bodyParse recognizes a parse of a request body that is not a signature
// verification; isEvent says the result is a Stripe event by itself.
func bodyParse(f *fileCtx, src *source, n *syntax.Node) (ok, isEvent bool) {
	switch f.lang {
	case langPython:
		if n.Kind == syntax.Member && n.Path() == "request.json" && !(n.Parent != nil && n.Parent.Kind == syntax.Call && n.Parent.Callee == n) {
			return true, false
		}
		if n.Kind != syntax.Call {
			return false, false
		}
		p := n.CalleePath()
		switch {
		case p == "json.loads":
			args := n.Positional()
			return len(args) > 0 && isBodyValue(src, args[0]), false
		case strings.HasSuffix(p, "Event.construct_from"):
			return true, true
		case p == "request.get_json" || p == "req.get_json" || p == "request.json":
			return true, false
		}
	case langJS:
		switch n.Kind {
		case syntax.Call:
			if n.CalleePath() == "JSON.parse" {
				args := n.Positional()
				return len(args) > 0 && isBodyValue(src, args[0]), false
			}
		case syntax.Assign:
			if n.Value != nil && len(n.Targets) == 1 && eventVar.MatchString(n.Targets[0].Text(src.raw)) {
				switch n.Value.Path() {
				case "req.body", "request.body", "ctx.request.body":
					return true, true
				}
			}
		case syntax.Member:
			if (n.Name == "type" || n.Name == "data") && n.Object != nil {
				switch n.Object.Path() {
				case "req.body", "request.body":
					return true, true
				}
			}
		}
	case langGo:
		if n.Kind != syntax.Call || !goBinders[n.CalleeName()] {
			return false, false
		}
		args := n.Args
		if len(args) == 0 {
			return false, false
		}
		last := strings.TrimPrefix(strings.TrimSpace(args[len(args)-1].Text(src.raw)), "&")
		fn := n.Enclosing(syntax.Func)
		for fn != nil && fn.Type == "FuncLit" && !goHandlerIn.MatchString(paramsText(fn, src)) {
			fn = fn.Enclosing(syntax.Func)
		}
		if fn == nil || !goHandlerIn.MatchString(paramsText(fn, src)) || !goIsStripeEvent(src, last) {
			return false, false
		}
		return true, true
	}
	return false, false
}

// bodyRead is an expression that reads a request's raw body.
var bodyRead = regexp.MustCompile(`^(?:await\s+)?(?:(?:self\.)?request\.(?:data|body|stream\.read\(\s*\)|get_data\([^)]*\)|body\(\s*\))|(?:req|request|ctx\.request|event)\.(?:body|rawBody)|(?:req|request)\.text\(\s*\))$`)

// isBodyValue reports whether n holds a request's raw body: the body
// itself, a conventional name for it, or a variable of the same function
// assigned from a body read (raw = request.get_data()).
func isBodyValue(src *source, n *syntax.Node) bool {
	t := strings.TrimSpace(n.Text(src.raw))
	if bodyArg.MatchString(t) || bodyRead.MatchString(t) {
		return true
	}
	if n.Kind != syntax.Ident {
		return false
	}
	scope := n.Enclosing(syntax.Func)
	if scope == nil {
		for scope = n; scope.Parent != nil; scope = scope.Parent {
		}
	}
	found := false
	syntax.Walk(scope, func(x *syntax.Node) bool {
		if x.Kind == syntax.Assign && x.Value != nil && len(x.Targets) == 1 && x.Targets[0].Name == n.Name && x.Start < n.Start {
			if bodyRead.MatchString(strings.TrimSpace(x.Value.Text(src.raw))) {
				found = true
			}
		}
		return !found
	})
	return found
}

func paramsText(fn *syntax.Node, src *source) string {
	var b strings.Builder
	for _, p := range fn.Params {
		b.WriteString(p.Text(src.raw))
		b.WriteByte(',')
	}
	return b.String()
}

// checkWebhooks runs the per-file webhook checks and records what the
// cross-file check needs.
func checkWebhooks(f *fileCtx, src *source) {
	if !f.rules.family(FamilyWebhooks) {
		return
	}
	root := src.syntaxTree(f.lang)
	if root == nil {
		return
	}
	w := &webhookFacts{calls: map[string]siteFact{}}
	w.usesEvent = len(liveMatches(eventUse, src)) > 0 || eventName.Match(src.raw)
	site := func(off int) siteFact {
		l, c := src.lineCol(off)
		return siteFact{lang: f.lang, line: l, col: c, anchor: codeAnchor(src.line(l))}
	}
	var verifies []*syntax.Node
	var parses []*syntax.Node
	syntax.Walk(root, func(n *syntax.Node) bool {
		if isVerifyCall(n) {
			verifies = append(verifies, n)
			if fn := n.Enclosing(syntax.Func); fn != nil && fn.Name != "" {
				w.verifyHelpers = append(w.verifyHelpers, fn.Name)
			}
		} else if ok, isEvent := bodyParse(f, src, n); ok {
			parses = append(parses, n)
			p := parseFact{siteFact: site(n.Start), isEvent: isEvent}
			if fn := n.Enclosing(syntax.Func); fn != nil {
				p.fn = fn.Name
			}
			w.parses = append(w.parses, p)
			if p.fn != "" {
				w.parseHelpers = append(w.parseHelpers, p.fn)
			}
		}
		if n.Kind == syntax.Call {
			if name := n.CalleeName(); name != "" {
				if _, ok := w.calls[name]; !ok {
					w.calls[name] = site(n.Start)
				}
			}
			// A function passed along is called by someone else: Express
			// middleware (app.post(path, verifyStripe, handle)).
			for _, a := range n.Args {
				if a.Kind == syntax.Ident || a.Kind == syntax.Member {
					w.passed = append(w.passed, a.Name)
				}
			}
		}
		if n.Type == "decorator" && len(n.Kids) == 1 { // @verify_stripe_signature
			if d := n.Kids[0]; d.Kind == syntax.Ident || d.Kind == syntax.Member {
				w.passed = append(w.passed, d.Name)
			}
		}
		return true
	})
	w.verifies = len(verifies) > 0
	w.imports = fileImports(f, src, root)
	if w.verifies {
		checkFailOpen(f, src, root, verifies, parses)
		checkTolerance(f, src, root, verifies)
		checkVerifyErrors(f, src, verifies)
	}
	checkRawBody(f, src)
	checkDebugServer(f, src, root, w.verifies || len(parses) > 0)
	f.facts.webhook = w
}

// goIsStripeEvent reports whether variable v is declared as a stripe.Event.
func goIsStripeEvent(src *source, v string) bool {
	if v == "" || !isIdent(v) {
		return false
	}
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(v) + `\s+(?:\*?stripe\.Event)\b|\b` + regexp.QuoteMeta(v) + `\s*:?=\s*&?stripe\.Event\s*\{`)
	return re.Match(src.code)
}

func isIdent(s string) bool {
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// fileImports lists the modules a file imports, as the repository paths
// (without extension) they may resolve to.
func fileImports(f *fileCtx, src *source, root *syntax.Node) []importFact {
	dir := path.Dir(f.rel)
	var out []importFact
	syntax.Walk(root, func(n *syntax.Node) bool {
		switch {
		case n.Kind == syntax.Import && f.lang == langPython:
			mod := n.Name
			rel := strings.HasPrefix(mod, ".")
			dots := len(mod) - len(strings.TrimLeft(mod, "."))
			p := strings.ReplaceAll(strings.TrimLeft(mod, "."), ".", "/")
			var bases []string
			if rel {
				b := dir
				for range dots - 1 {
					b = path.Dir(b)
				}
				bases = []string{path.Join(b, p)}
			} else {
				bases = []string{p}
			}
			imp := importFact{names: n.Names, whole: n.Type == "import_statement"}
			for _, b := range bases {
				imp.paths = append(imp.paths, b, path.Join(b, "__init__"))
				for _, nm := range n.Names {
					// from pkg import module: every function of module is in reach
					out = append(out, importFact{paths: []string{path.Join(b, nm), path.Join(b, nm, "__init__")}, whole: true})
				}
			}
			out = append(out, imp)
		case n.Kind == syntax.Import && f.lang == langGo:
			out = append(out, importFact{paths: []string{n.Name}, whole: true})
		case n.Kind == syntax.Import && f.lang == langJS:
			out = append(out, jsImport(dir, n.Name, n.Names, false))
		case n.Kind == syntax.Call && f.lang == langJS && n.CalleePath() == "require":
			if a := n.Positional(); len(a) == 1 && a[0].Kind == syntax.String {
				out = append(out, jsImport(dir, a[0].Unquote(src.raw), nil, true))
			}
		}
		return true
	})
	return out
}

func jsImport(dir, spec string, names []string, whole bool) importFact {
	imp := importFact{names: names, whole: whole || len(names) > 0}
	var p string
	switch {
	case strings.HasPrefix(spec, "."):
		p = path.Join(dir, spec)
	case strings.HasPrefix(spec, "@/") || strings.HasPrefix(spec, "~/"):
		p = spec[2:] // a path alias of the project's source root
	case strings.HasPrefix(spec, "@") || strings.HasPrefix(spec, "~") || strings.HasPrefix(spec, "#"):
		if i := strings.IndexByte(spec, '/'); i > 0 {
			p = spec[i+1:] // @lib/stripe, #utils/stripe: an alias, or a scoped package
		}
	default:
		p = spec // a package name or a baseUrl path (src/lib/stripe)
	}
	if p != "" {
		p = strings.TrimSuffix(p, path.Ext(p))
		imp.paths = []string{p, path.Join(p, "index")}
	}
	return imp
}

// sees reports whether the file with facts w can call function name
// defined in the file def: the same file, the same Go package (folder),
// or a module the file imports.
func (w *webhookFacts) sees(from, def *fileCtx, name string) bool {
	if from == def {
		return true
	}
	target := strings.TrimSuffix(def.rel, path.Ext(def.rel))
	if from.lang == langGo && def.lang == langGo {
		if path.Dir(from.rel) == path.Dir(def.rel) {
			return true // one package
		}
		target = path.Dir(def.rel) // an imported package is a folder
	}
	for _, imp := range w.imports {
		match := false
		for _, p := range imp.paths {
			// A module path names the folder from the module root, which is
			// somewhere above it: github.com/x/y/internal/hooks is internal/hooks.
			if p == target || strings.HasSuffix(target, "/"+p) || strings.HasSuffix(p, "/"+target) ||
				from.lang == langGo && sharedTail(p, target) >= 2 {
				match = true
			}
		}
		if !match {
			continue
		}
		if imp.whole || name == "" {
			return true
		}
		for _, n := range imp.names {
			if n == name || n == "*" {
				return true
			}
		}
	}
	return false
}

// sharedTail counts the trailing path segments a and b have in common:
// a Go import path and the folder it names in the repository agree from
// the module root down (example.com/shop/internal/hooks, go/internal/hooks).
func sharedTail(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[len(as)-1-n] == bs[len(bs)-1-n] {
		n++
	}
	return n
}

// finishWebhooks reports unverified event handling once every file is
// known. A handler is excused by a verification helper it can see (its
// own file, its Go package, a module it imports); an event parsed by such
// a helper that does not verify is reported where the handler uses it.
func finishWebhooks(files []*fileCtx) {
	verifyDefs := map[string][]*fileCtx{}
	parseDefs := map[string][]*fileCtx{}
	for _, f := range files {
		w := f.facts.webhook
		if w == nil {
			continue
		}
		for _, n := range w.verifyHelpers {
			verifyDefs[n] = append(verifyDefs[n], f)
		}
		if !w.verifies {
			for _, n := range w.parseHelpers {
				parseDefs[n] = append(parseDefs[n], f)
			}
		}
	}
	visible := func(f *fileCtx, defs []*fileCtx, name string) *fileCtx {
		for _, d := range defs {
			if f.facts.webhook.sees(f, d, name) {
				return d
			}
		}
		return nil
	}
	for _, f := range files {
		w := f.facts.webhook
		if w == nil || w.verifies {
			continue
		}
		excused := false
		for name := range w.calls {
			if visible(f, verifyDefs[name], name) != nil {
				excused = true
				break
			}
		}
		for _, name := range w.passed {
			if !excused && visible(f, verifyDefs[name], name) != nil {
				excused = true
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
			hf := visible(f, parseDefs[name], name)
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
)

// checkFailOpen reports verification that can be skipped. It reads each
// if statement of a function that verifies as a whole, however far its
// else is from its if: one branch verifies while another parses the body
// unverified; or a condition on a secret, header or flag leads to an
// unverified parse; or verification only under a secret's presence, with
// the event parsed unverified elsewhere in the function. A guard whose
// branch only rejects (`if secret is None: return ..., 400`) is not fail-open.
func checkFailOpen(f *fileCtx, src *source, root *syntax.Node, verifies, parses []*syntax.Node) {
	reported := map[int]bool{}
	for _, ifn := range syntax.Find(root, syntax.If) {
		if p := ifn.Parent; p != nil && p.Kind == syntax.If && p.Else == ifn {
			continue // an elif: judged with its if
		}
		fn := ifn.Enclosing(syntax.Func)
		scope := root
		if fn != nil {
			scope = fn
		}
		if !anyIn(scope, verifies) {
			continue
		}
		cond := strings.TrimSpace(ifn.Cond.Text(src.raw))
		thenV, thenP := anyIn(ifn.Then, verifies), anyIn(ifn.Then, parses)
		elseV, elseP := anyIn(ifn.Else, verifies), anyIn(ifn.Else, parses)
		magic := magicCond.MatchString(cond)
		secret := secretCond.MatchString(cond)
		var why string
		switch {
		case thenV && elseP || elseV && thenP:
			why = "skipped on one branch of `if " + short(cond) + "`: that branch parses the body without verifying it"
		case (magic || secret) && (thenP && !thenV || elseP && !elseV):
			why = "bypassed when a condition on a secret, header, flag or magic value holds (" + short(cond) + ")"
		case secret && thenV && ifn.Else == nil && anyOutside(scope, ifn, parses):
			why = "done only when a secret is configured (" + short(cond) + "); without one, events are accepted unverified"
		default:
			continue
		}
		l, _ := src.lineCol(ifn.Start)
		if reported[l] {
			continue
		}
		reported[l] = true
		f.add(nodeAt(src, ifn, "webhook-fail-open", Critical, "Webhook signature verification "+why))
	}
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// anyIn reports whether one of nodes lies inside n.
func anyIn(n *syntax.Node, nodes []*syntax.Node) bool {
	if n == nil {
		return false
	}
	for _, x := range nodes {
		if n.Contains(x) {
			return true
		}
	}
	return false
}

// anyOutside reports whether one of nodes lies in scope but not in n.
func anyOutside(scope, n *syntax.Node, nodes []*syntax.Node) bool {
	for _, x := range nodes {
		if scope.Contains(x) && !n.Contains(x) {
			return true
		}
	}
	return false
}

var pyTolerance = regexp.MustCompile(`^(None|0|[0-9_]+)$`)

// checkTolerance reports verification with the timestamp check disabled
// (tolerance None or 0 in Python and Node, the IgnoringTolerance calls and
// IgnoreTolerance option in Go) or widened past an hour. Only calls
// count: the SDK's own definition of ConstructEventIgnoringTolerance is
// not a use of it.
func checkTolerance(f *fileCtx, src *source, root *syntax.Node, verifies []*syntax.Node) {
	if f.lang == langGo {
		for _, v := range verifies {
			if strings.HasSuffix(v.CalleeName(), "IgnoringTolerance") {
				f.add(nodeAt(src, v, "webhook-tolerance-disabled", High, "Webhook verification ignores the timestamp: replayed events are accepted forever"))
			}
		}
		for _, p := range syntax.Find(root, syntax.Pair) {
			if fn := p.Enclosing(syntax.Func); fn != nil && strings.HasSuffix(fn.Name, "IgnoringTolerance") {
				continue // the SDK's own definition of the IgnoringTolerance helpers
			}
			if len(p.Targets) == 1 && p.Targets[0].Name == "IgnoreTolerance" && p.Value != nil && p.Value.Name == "true" {
				f.add(nodeAt(src, p, "webhook-tolerance-disabled", High, "Webhook verification ignores the timestamp: replayed events are accepted forever"))
			}
		}
		return
	}
	for _, v := range verifies {
		name := v.CalleeName()
		if !strings.Contains(name, "onstruct") && !strings.Contains(name, "erify") {
			continue
		}
		tolNode := v.Kwarg("tolerance")
		if pos := v.Positional(); tolNode == nil && len(pos) >= 4 {
			tolNode = pos[3]
		}
		if tolNode == nil {
			continue
		}
		tol := strings.TrimSpace(tolNode.Text(src.raw))
		switch tol {
		case "None", "0", "null", "undefined", "Infinity", "-1", "Number.MAX_SAFE_INTEGER", "Number.MAX_VALUE", "Number.POSITIVE_INFINITY":
			f.add(nodeAt(src, tolNode, "webhook-tolerance-disabled", High,
				fmt.Sprintf("Webhook verification with tolerance %s: the timestamp is not checked, so a captured event can be replayed", tol)))
			continue
		}
		if !pyTolerance.MatchString(tol) {
			continue
		}
		if n, err := strconv.Atoi(strings.ReplaceAll(tol, "_", "")); err == nil && n > 3600 {
			f.add(nodeAt(src, v, "webhook-tolerance-disabled", Medium,
				fmt.Sprintf("Webhook verification with a tolerance of %d seconds: replays are accepted for that long (default 300)", n)))
		}
	}
}

// checkVerifyErrors reports verification failures answered with 2xx,
// swallowed or only logged, so that processing goes on with an
// unverified event.
func checkVerifyErrors(f *fileCtx, src *source, verifies []*syntax.Node) {
	done := map[*syntax.Node]bool{}
	for _, v := range verifies {
		if f.lang == langGo {
			checkGoVerifyError(f, src, v, done)
			continue
		}
		try := enclosingTryBody(v)
		if try == nil || done[try] {
			continue
		}
		done[try] = true
		for _, c := range try.Catches {
			if verdict := judgeHandler(src, c.Body, c.Name); verdict != "" {
				f.add(nodeAt(src, c, "webhook-error-ignored", High, "Webhook verification failure "+verdict))
			}
		}
	}
}

// enclosingTryBody returns the try statement whose body (not a handler)
// holds n, within n's function.
func enclosingTryBody(n *syntax.Node) *syntax.Node {
	for p := n.Parent; p != nil && p.Kind != syntax.Func; p = p.Parent {
		if p.Kind == syntax.Try && p.Body.Contains(n) {
			return p
		}
		if p.Kind == syntax.Catch {
			return nil
		}
	}
	return nil
}

// checkGoVerifyError follows the error of a Go verification: discarded
// with _, never checked before it is overwritten, or checked by an if
// whose body does not reject.
func checkGoVerifyError(f *fileCtx, src *source, v *syntax.Node, done map[*syntax.Node]bool) {
	as := v.Parent
	if as == nil || as.Kind != syntax.Assign || as.Value != v || len(as.Targets) < 2 {
		return
	}
	errName := as.Targets[len(as.Targets)-1].Name
	if errName == "_" {
		f.add(nodeAt(src, as, "webhook-error-ignored", High, "Webhook verification error discarded with _: the event is used whether or not it verified"))
		return
	}
	// if ev, err := webhook.ConstructEvent(...); err != nil { ... }
	if ifn := as.Parent; ifn != nil && ifn.Kind == syntax.If && ifn.Cond != nil && mentions(ifn.Cond, errName) {
		judgeGoIf(f, src, ifn, errName, done)
		return
	}
	block := as.Parent
	if block == nil || block.Kind != syntax.Block {
		return
	}
	after := false
	for _, st := range block.Kids {
		if st == as {
			after = true
			continue
		}
		if !after || !mentions(st, errName) {
			continue
		}
		if st.Kind == syntax.If && st.Cond != nil && mentions(st.Cond, errName) {
			judgeGoIf(f, src, st, errName, done)
			return
		}
		break
	}
	f.add(nodeAt(src, as, "webhook-error-ignored", High, "Webhook verification error is not checked before it is overwritten or dropped: the event is used whether or not it verified"))
}

func judgeGoIf(f *fileCtx, src *source, ifn *syntax.Node, errName string, done map[*syntax.Node]bool) {
	if done[ifn] {
		return
	}
	done[ifn] = true
	if verdict := judgeHandler(src, ifn.Then, errName); verdict != "" {
		f.add(nodeAt(src, ifn, "webhook-error-ignored", High, "Webhook verification failure "+verdict))
	}
}

// mentions reports whether identifier name occurs under n.
func mentions(n *syntax.Node, name string) bool {
	found := false
	syntax.Walk(n, func(x *syntax.Node) bool {
		if x.Kind == syntax.Ident && x.Name == name {
			found = true
		}
		return !found
	})
	return found
}

var (
	rejectStatus  = regexp.MustCompile(`\b[45]\d\d\b|StatusBadRequest|StatusUnauthorized|StatusForbidden|StatusInternalServerError|StatusUnprocessable|HTTP_4\d\d|HTTP_5\d\d|BAD_REQUEST|UNAUTHORIZED|FORBIDDEN`)
	successStatus = regexp.MustCompile(`\b20[0-4]\b|StatusOK|StatusNoContent|StatusAccepted|HTTP_200|success\s*=\s*True|received\s*:\s*true`)
	// rejectCalls answer an error or stop the request by their name alone.
	rejectCalls = map[string]bool{"abort": true, "HttpResponseBadRequest": true, "HttpResponseForbidden": true, "HTTPException": true, "BadRequest": true,
		"BadRequestException": true, "UnauthorizedException": true, "ForbiddenException": true, "HttpException": true, "panic": true, "Fatal": true, "Fatalf": true,
		"AbortWithStatus": true, "AbortWithStatusJSON": true, "AbortWithError": true, "NewHTTPError": true, "Unauthorized": true, "Forbidden": true,
		"exit": true, "reject": true, "HTTPBadRequest": true, "HTTPForbidden": true, "HTTPUnauthorized": true, "throw": true, "NewError": true}
)

// judgeHandler reads the body of an error handler after a failed
// verification (an except or catch clause, or Go's `if err != nil`). errVar
// is the name the error is bound to. It returns why the failure is
// ignored, or "" if the handler rejects the request.
//
// A rejection raises or throws, answers 4xx/5xx, aborts, or hands the
// error to a callback (callback(err), next(err), done(err)). A plain
// `return jsonify({...})` or `return e` answers 200 in Flask; Go's
// `return err` from a fiber, echo or gin handler is a 500.
func judgeHandler(src *source, body *syntax.Node, errVar string) string {
	stmts := body.Statements()
	if len(stmts) == 0 {
		return "is swallowed: the handler goes on"
	}
	allPass := true
	for _, s := range stmts {
		if t := s.Text(src.raw); t != "pass" && t != "continue" && t != ";" {
			allPass = false
		}
	}
	if allPass {
		return "is swallowed: the handler goes on"
	}
	rejects, answers := false, false
	syntax.Walk(body, func(n *syntax.Node) bool {
		switch n.Kind {
		case syntax.Func:
			return false // a callback defined here does not run here
		case syntax.Throw:
			rejects = true
		case syntax.Return:
			answers = true
			if returnRejects(src, n, errVar) {
				rejects = true
			}
		case syntax.Call:
			if callRejects(src, n, errVar) {
				rejects = true
			} else if isResponseCall(n) && successStatus.MatchString(n.Text(src.raw)) {
				answers = true
			}
		case syntax.Assign:
			// ctx.status = 400 (Koa), res.statusCode = 401 (Node's http)
			if len(n.Targets) == 1 && n.Value != nil && n.Targets[0].Kind == syntax.Member && statusKey.MatchString(n.Targets[0].Name) {
				if rejectStatus.MatchString(n.Value.Text(src.raw)) {
					rejects = true
				} else if successStatus.MatchString(n.Value.Text(src.raw)) {
					answers = true
				}
			}
		}
		return !rejects
	})
	switch {
	case rejects:
		return ""
	case answers:
		return "is answered with success (2xx), so Stripe stops retrying and the event is lost or forged events pass"
	}
	return "is only logged: the handler goes on with an unverified event"
}

// returnRejects judges a return statement in an error handler.
func returnRejects(src *source, r *syntax.Node, errVar string) bool {
	vals := r.Kids
	goFile := strings.HasSuffix(src.path, ".go")
	if len(vals) == 0 {
		// A bare return after http.Error is judged by that call; a bare
		// return alone stops a Go handler with 200. A Python view that
		// returns None is a 500, and a JavaScript handler that returns
		// stops without answering success.
		return !goFile
	}
	v0 := strings.TrimSpace(vals[0].Text(src.raw))
	switch v0 {
	case "False", "None", "false", "null", "undefined":
		return true // a helper reporting failure to its caller
	}
	if goFile {
		for _, x := range vals {
			t := strings.TrimSpace(x.Text(src.raw))
			if t == "false" || strings.Contains(t, ".Err") || strings.HasPrefix(t, "Err") {
				return true // an error value or a failed check handed to the caller
			}
			if x.Kind == syntax.Call {
				switch x.CalleeName() {
				case "Errorf", "New", "NewError", "Wrap", "Wrapf":
					return true
				}
			}
		}
	}
	if len(vals) >= 2 { // Flask: return body, 400
		if rejectStatus.MatchString(vals[1].Text(src.raw)) {
			return true
		}
	}
	// Go: returning err hands the failure to the caller (fiber, echo and
	// gin answer 500). Python: `return e` from a view is a 200 with the
	// error's text.
	if !strings.HasSuffix(src.path, ".py") {
		for _, x := range vals {
			if x.Kind == syntax.Ident && x.Name == errVar && errVar != "" {
				return true
			}
		}
	}
	v := vals[0]
	if v.Kind == syntax.Call {
		return callRejects(src, v, errVar) || callHasRejectStatus(src, v)
	}
	if v.Kind == syntax.Member && strings.HasSuffix(src.path, ".go") {
		return false
	}
	return callHasRejectStatus(src, v)
}

// callRejects reports a call that rejects by its name, by a 4xx/5xx
// status among its own arguments, or by handing on the error.
func callRejects(src *source, c *syntax.Node, errVar string) bool {
	if rejectCalls[c.CalleeName()] {
		return true
	}
	if c.Callee != nil && c.Callee.Kind == syntax.Member && c.Callee.Object != nil && testingT[c.Callee.Object.Path()] {
		switch c.CalleeName() {
		case "Error", "Errorf", "Fail", "FailNow", "Skip", "Skipf":
			return true // a Go test's assertion: the test fails, nothing is served
		}
	}
	if c.Callee != nil && c.Callee.Kind == syntax.Ident && errVar != "" && nodeCallback.MatchString(c.Callee.Name) && isJSPath(src.path) {
		for _, a := range c.Positional() {
			if a.Kind == syntax.Ident && a.Name == errVar {
				return true // callback(err), next(err), done(err)
			}
		}
	}
	switch c.CalleeName() {
	case "status", "sendStatus", "WriteHeader", "writeHead", "code", "Error", "SendStatus", "Status", "JSON", "String", "send_error", "HttpResponse", "Response", "JsonResponse", "JSONResponse", "jsonify", "make_response", "NoContent", "SendString", "json":
		return callHasRejectStatus(src, c)
	}
	return false
}

// testingT are the usual names of a Go test's *testing.T and *testing.B.
var testingT = map[string]bool{"t": true, "b": true, "tb": true, "f": true}

// nodeCallback names the functions a Node handler hands an error to:
// callback(err), cb(err), done(err), next(err), reject(err).
var nodeCallback = regexp.MustCompile(`(?i)^(?:cb|done|next|fail|failure)$|callback|reject`)

func isJSPath(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts":
		return true
	}
	return false
}

// callHasRejectStatus looks for a 4xx/5xx status in a call chain's own
// arguments: res.status(400).json(...), Response("bad", status=400).
func callHasRejectStatus(src *source, n *syntax.Node) bool {
	found := false
	var visit func(*syntax.Node)
	visit = func(x *syntax.Node) {
		if x == nil || found {
			return
		}
		switch x.Kind {
		case syntax.Call:
			for _, a := range x.Args {
				t := a
				if a.Kind == syntax.KwArg {
					if a.Name != "status" && a.Name != "status_code" {
						continue
					}
					t = a.Value
				}
				if t != nil && (t.Kind == syntax.Number || t.Kind == syntax.Member || t.Kind == syntax.Ident) && rejectStatus.MatchString(t.Text(src.raw)) {
					found = true
				}
			}
			visit(x.Callee)
			for _, a := range x.Args {
				if a.Kind == syntax.Other {
					visit(a) // an options object: {status: 400}
				}
			}
		case syntax.Member:
			visit(x.Object)
		case syntax.Pair:
			if len(x.Targets) == 1 && statusKey.MatchString(x.Targets[0].Text(src.raw)) && x.Value != nil && rejectStatus.MatchString(x.Value.Text(src.raw)) {
				found = true
			}
		case syntax.Other:
			for _, k := range x.Kids {
				visit(k)
			}
		}
	}
	visit(n)
	return found
}

var statusKey = regexp.MustCompile(`^['"]?(?:status|statusCode|status_code|code)['"]?$`)

// isResponseCall reports calls that answer a request.
func isResponseCall(c *syntax.Node) bool {
	switch c.CalleeName() {
	case "json", "send", "end", "sendStatus", "status", "jsonify", "JSON", "SendStatus", "WriteHeader", "Write", "String", "HttpResponse", "JsonResponse", "Response", "make_response":
		return true
	}
	return false
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

// checkDebugServer reports a Flask (or Werkzeug) debug server in a module
// that serves webhooks: the interactive debugger runs code for anyone who
// can make a request fail.
func checkDebugServer(f *fileCtx, src *source, root *syntax.Node, servesWebhooks bool) {
	if f.lang != langPython || !servesWebhooks && !strings.Contains(strings.ToLower(string(src.code)), "webhook") {
		return
	}
	isTrue := func(n *syntax.Node) bool { return n != nil && n.Kind == syntax.Ident && n.Name == "True" }
	syntax.Walk(root, func(n *syntax.Node) bool {
		switch n.Kind {
		case syntax.Call:
			name := n.CalleeName()
			if (name == "run" || name == "run_simple") && isTrue(n.Kwarg("debug")) {
				f.add(nodeAt(src, n, "webhook-debug-server", High, "Flask debug server in a module that serves webhooks: the Werkzeug debugger runs code for anyone who can trigger an error"))
			}
		case syntax.Assign:
			if len(n.Targets) == 1 && isTrue(n.Value) {
				t := n.Targets[0].Text(src.raw)
				if strings.HasSuffix(t, ".debug") || strings.Contains(t, `["DEBUG"]`) || strings.Contains(t, `['DEBUG']`) {
					f.add(nodeAt(src, n, "webhook-debug-server", High, "Flask debug mode on in a module that serves webhooks: the Werkzeug debugger runs code for anyone who can trigger an error"))
				}
			}
		}
		return true
	})
}
