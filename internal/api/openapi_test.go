package api_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// registeredRoutes reads routes.go and returns the scope of every route it
// mounts with a.handle(mux, "METHOD /path", paywarden.ScopeX, ...), by
// "METHOD /path". The scope constants are read from the root package, so
// the list comes from the code, not from a copy.
func registeredRoutes(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	scopes := map[string]string{}
	root, err := parser.ParseFile(fset, "../../token.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(root, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Values) == len(vs.Names) {
			for i, name := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.HasPrefix(name.Name, "Scope") {
					scopes[name.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
		return true
	})
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 3 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "handle" {
			return true
		}
		lit, ok := call.Args[1].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		pattern, _ := strconv.Unquote(lit.Value)
		scope := ""
		if sel, ok := call.Args[2].(*ast.SelectorExpr); ok {
			scope = scopes[sel.Sel.Name]
		}
		if scope == "" {
			t.Errorf("routes.go: %s has a scope this test cannot read", pattern)
		}
		routes[pattern] = scope
		return true
	})
	if len(routes) == 0 {
		t.Fatal("found no routes in routes.go")
	}
	return routes
}

// TestOpenAPI loads docs/openapi.yaml, checks that it is a valid OpenAPI
// document and that its operations are exactly the routes routes.go
// registers, each with the same scope, an Idempotency-Key on every POST and
// DELETE, and the source of its answer.
func TestOpenAPI(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatalf("loading docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi: got %s, want 3.1", doc.OpenAPI)
	}
	want := registeredRoutes(t)
	got := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			got[method+" "+path] = op
		}
	}
	for route, scope := range want {
		op, ok := got[route]
		if !ok {
			t.Errorf("docs/openapi.yaml lacks %s, which routes.go registers", route)
			continue
		}
		if s, _ := op.Extensions["x-paywarden-scope"].(string); s != scope {
			t.Errorf("%s: x-paywarden-scope %q, routes.go says %q", route, s, scope)
		}
		if src, _ := op.Extensions["x-paywarden-source"].(string); !slices.Contains([]string{"stripe", "mirror", "paywarden"}, src) {
			t.Errorf("%s: x-paywarden-source %q, want stripe, mirror or paywarden", route, src)
		}
		method, _, _ := strings.Cut(route, " ")
		idem := slices.ContainsFunc(op.Parameters, func(p *openapi3.ParameterRef) bool {
			return p.Value != nil && p.Value.In == "header" && p.Value.Name == "Idempotency-Key" && p.Value.Required
		})
		if mutating := method == http.MethodPost || method == http.MethodDelete; idem != mutating {
			t.Errorf("%s: requires Idempotency-Key %v, want %v", route, idem, mutating)
		}
		for _, code := range []string{"401", "403"} {
			if op.Responses.Value(code) == nil {
				t.Errorf("%s: no %s problem documented", route, code)
			}
		}
	}
	for route := range got {
		if _, ok := want[route]; !ok {
			t.Errorf("docs/openapi.yaml documents %s, which routes.go does not register", route)
		}
	}
	if op := got["GET /v1/payments"]; op != nil && op.Extensions["x-paywarden-source"] != "mirror" {
		t.Error("GET /v1/payments must say it reads the mirror")
	}
}
