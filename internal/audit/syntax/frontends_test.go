package syntax_test

import (
	"context"
	"testing"

	"github.com/paywarden/paywarden/internal/audit/syntax"
	"github.com/paywarden/paywarden/internal/audit/syntax/golang"
	"github.com/paywarden/paywarden/internal/audit/syntax/javascript"
	"github.com/paywarden/paywarden/internal/audit/syntax/python"
)

func TestPythonRoles(t *testing.T) {
	src := []byte("try:\n    ev = stripe.Webhook.construct_event(p, s, k, tolerance=None)\nexcept ValueError as exc:\n    return jsonify(ok=False), 400\nif a:\n    pass\nelif b:\n    x = key[:12]\nelse:\n    y = f\"{key}\"\nfrom .tools import load_event\n")
	root, err := python.Parse(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	checkTree(t, root, src)
	tries := syntax.Find(root, syntax.Try)
	if len(tries) != 1 || len(tries[0].Catches) != 1 || tries[0].Catches[0].Name != "exc" || tries[0].Catches[0].Cond.Text(src) != "ValueError" {
		t.Fatalf("try/except roles wrong: %+v", tries)
	}
	call := syntax.Find(tries[0].Body, syntax.Call)[0]
	if call.CalleePath() != "stripe.Webhook.construct_event" || len(call.Positional()) != 3 || call.Kwarg("tolerance").Text(src) != "None" {
		t.Errorf("call roles wrong: path %q, %d positional", call.CalleePath(), len(call.Positional()))
	}
	ret := syntax.Find(tries[0].Catches[0].Body, syntax.Return)[0]
	if len(ret.Kids) != 2 || ret.Kids[1].Text(src) != "400" {
		t.Errorf("return values wrong: %d", len(ret.Kids))
	}
	ifs := syntax.Find(root, syntax.If)
	if len(ifs) != 2 || ifs[0].Else != ifs[1] || ifs[1].Else == nil || ifs[1].Else.Kind != syntax.Block {
		t.Errorf("elif chain wrong: %d ifs", len(ifs))
	}
	imp := syntax.Find(root, syntax.Import)
	if len(imp) != 1 || imp[0].Name != ".tools" || len(imp[0].Names) != 1 || imp[0].Names[0] != "load_event" {
		t.Errorf("import wrong: %+v", imp)
	}
}

func TestJavaScriptRoles(t *testing.T) {
	src := []byte("const handler = async (req, res) => {\n  try { ev = stripe.webhooks.constructEvent(req.body, sig, secret); }\n  catch (err) { return callback(err); }\n  console.log(key?.trim());\n};\nimport verify from './verify';\n")
	for _, d := range []javascript.Dialect{javascript.JS, javascript.TS, javascript.TSX} {
		root, err := javascript.Parse(context.Background(), d, src)
		if err != nil {
			t.Fatal(err)
		}
		checkTree(t, root, src)
		fns := syntax.Find(root, syntax.Func)
		if len(fns) != 1 || fns[0].Name != "handler" || len(fns[0].Params) != 2 {
			t.Fatalf("dialect %d: arrow function not named from its declarator: %+v", d, fns)
		}
		tries := syntax.Find(root, syntax.Try)
		if len(tries) != 1 || len(tries[0].Catches) != 1 || tries[0].Catches[0].Name != "err" {
			t.Fatalf("dialect %d: try/catch roles wrong", d)
		}
		var optional bool
		for _, m := range syntax.Find(root, syntax.Member) {
			if m.Optional && m.Name == "trim" {
				optional = true
			}
		}
		if !optional {
			t.Errorf("dialect %d: key?.trim not marked optional", d)
		}
		imp := syntax.Find(root, syntax.Import)
		if len(imp) != 1 || imp[0].Name != "./verify" {
			t.Errorf("dialect %d: import wrong", d)
		}
	}
}

func TestGoRoles(t *testing.T) {
	src := []byte("package p\n\nfunc H(c *fiber.Ctx) error {\n\tif ev, err := webhook.ConstructEvent(b, s, k); err != nil {\n\t\treturn err\n\t}\n\treturn nil\n}\n")
	root, err := golang.Parse("h.go", src)
	if err != nil {
		t.Fatal(err)
	}
	checkTree(t, root, src)
	fns := syntax.Find(root, syntax.Func)
	if len(fns) != 1 || fns[0].Name != "H" || len(fns[0].Params) != 1 {
		t.Fatalf("func wrong: %+v", fns)
	}
	ifn := syntax.Find(root, syntax.If)[0]
	as := syntax.Find(ifn, syntax.Assign)[0]
	if as.Value == nil || as.Value.CalleePath() != "webhook.ConstructEvent" || len(as.Targets) != 2 || as.Targets[1].Name != "err" {
		t.Errorf("if init assignment wrong")
	}
	if ifn.Cond.Text(src) != "err != nil" {
		t.Errorf("cond %q", ifn.Cond.Text(src))
	}
}
