package syntax_test

import (
	"context"
	"testing"

	"github.com/paywarden/paywarden/internal/audit/syntax"
	"github.com/paywarden/paywarden/internal/audit/syntax/golang"
	"github.com/paywarden/paywarden/internal/audit/syntax/javascript"
	"github.com/paywarden/paywarden/internal/audit/syntax/python"
)

// checkTree asserts what every front-end promises: offsets inside the
// source, children inside their parents and in order, parents linked.
func checkTree(t *testing.T, root *syntax.Node, src []byte) {
	t.Helper()
	syntax.Walk(root, func(n *syntax.Node) bool {
		if n.Start < 0 || n.End > len(src) || n.Start > n.End {
			t.Fatalf("%s %q: offsets [%d,%d) outside a %d-byte source", n.Kind, n.Type, n.Start, n.End, len(src))
		}
		prev := n.Start
		for _, k := range n.Kids {
			if k.Parent != n {
				t.Fatalf("%s under %s: parent not linked", k.Type, n.Type)
			}
			if k.Start < prev || k.End > n.End {
				t.Fatalf("%s [%d,%d) not inside %s [%d,%d) after %d", k.Type, k.Start, k.End, n.Type, n.Start, n.End, prev)
			}
			prev = k.Start
		}
		return true
	})
}

func FuzzPython(f *testing.F) {
	for _, s := range []string{"import stripe\n", "try:\n  x = f(a, b=1)\nexcept (A, B) as e:\n  return e, 400\n", "if a:\n  pass\nelif b:\n  pass\nelse:\n  y = s[:12]\n", "print 'py2'\nexcept Exception, e:\n", "def f(:\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		root, err := python.Parse(context.Background(), src)
		if err != nil {
			return
		}
		checkTree(t, root, src)
	})
}

func FuzzJavaScript(f *testing.F) {
	for _, s := range []string{"const x = a?.b.c(d);", "try { g() } catch (err) { cb(err) }", "if (a) b(); else if (c) { d() } else e();", "import S, { y as z } from './m';", "const k = `x${key}`;", "let a: Foo<string> = <T,>(x: T) => x;", "<div onClick={() => f(1)}>{x}</div>"} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, src []byte, d uint8) {
		root, err := javascript.Parse(context.Background(), javascript.Dialect(d%3), src)
		if err != nil {
			return
		}
		checkTree(t, root, src)
	})
}

func FuzzGo(f *testing.F) {
	for _, s := range []string{"package p\nfunc f() { if err := g(); err != nil { return } }\n", "package p\nvar x = T{A: true}\n", "package p\nfunc (r *R) M(", "package"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		root, err := golang.Parse("fuzz.go", src)
		if err != nil {
			return
		}
		checkTree(t, root, src)
	})
}
