// Package golang is the audit's front-end for Go: the standard library's
// go/parser parses the file and go/ast is mapped onto syntax kinds.
package golang

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"

	"github.com/paywarden/paywarden/internal/audit/syntax"
)

// Parse parses Go source. A file with syntax errors still yields the part
// go/parser could read; an error is returned only when nothing could be.
func Parse(name string, src []byte) (*syntax.Node, error) {
	fset := token.NewFileSet()
	base := fset.Base() // the base the parsed file gets; f.Pos() is not valid when the package clause is broken
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if f == nil {
		return nil, err
	}
	c := &conv{base: base, size: len(src)}
	root := c.node(f)
	root.Kind = syntax.File
	syntax.Link(root)
	return root, nil
}

type conv struct{ base, size int }

func (c *conv) off(p token.Pos) int {
	o := int(p) - c.base
	return max(0, min(o, c.size))
}

// children returns the direct children of n in source order.
func children(n ast.Node) []ast.Node {
	var out []ast.Node
	ast.Inspect(n, func(x ast.Node) bool {
		if x == nil || x == n {
			return x == n
		}
		out = append(out, x)
		return false
	})
	return out
}

func (c *conv) node(n ast.Node) *syntax.Node {
	out := &syntax.Node{Start: c.off(n.Pos()), End: c.off(n.End())}
	sub := func(x ast.Node) *syntax.Node {
		if x == nil || x != nil && isNilNode(x) {
			return nil
		}
		k := c.node(x)
		out.Kids = append(out.Kids, k)
		return k
	}
	switch n := n.(type) {
	case *ast.FuncDecl:
		out.Kind, out.Type, out.Name = syntax.Func, "FuncDecl", n.Name.Name
		if n.Recv != nil {
			sub(n.Recv)
		}
		for _, p := range n.Type.Params.List {
			out.Params = append(out.Params, sub(p))
		}
		sub(n.Type.Results)
		out.Body = sub(n.Body)
	case *ast.FuncLit:
		out.Kind, out.Type = syntax.Func, "FuncLit"
		for _, p := range n.Type.Params.List {
			out.Params = append(out.Params, sub(p))
		}
		sub(n.Type.Results)
		out.Body = sub(n.Body)
	case *ast.BlockStmt:
		out.Kind, out.Type = syntax.Block, "BlockStmt"
		for _, s := range n.List {
			sub(s)
		}
	case *ast.ExprStmt:
		return c.node(n.X)
	case *ast.ParenExpr:
		return c.node(n.X)
	case *ast.CallExpr:
		out.Kind, out.Type = syntax.Call, "CallExpr"
		out.Callee = sub(n.Fun)
		for _, a := range n.Args {
			out.Args = append(out.Args, sub(a))
		}
	case *ast.IfStmt:
		out.Kind, out.Type = syntax.If, "IfStmt"
		sub(n.Init)
		out.Cond = sub(n.Cond)
		out.Then = sub(n.Body)
		out.Else = sub(n.Else)
	case *ast.ReturnStmt:
		out.Kind, out.Type = syntax.Return, "ReturnStmt"
		for _, r := range n.Results {
			sub(r)
		}
	case *ast.AssignStmt:
		out.Kind, out.Type = syntax.Assign, "AssignStmt:"+n.Tok.String()
		for _, l := range n.Lhs {
			out.Targets = append(out.Targets, sub(l))
		}
		for _, r := range n.Rhs {
			v := sub(r)
			if out.Value == nil {
				out.Value = v
			}
		}
	case *ast.ValueSpec:
		out.Kind, out.Type = syntax.Assign, "ValueSpec"
		for _, l := range n.Names {
			out.Targets = append(out.Targets, sub(l))
		}
		sub(n.Type)
		for _, r := range n.Values {
			v := sub(r)
			if out.Value == nil {
				out.Value = v
			}
		}
	case *ast.Ident:
		out.Kind, out.Type, out.Name = syntax.Ident, "Ident", n.Name
	case *ast.SelectorExpr:
		out.Kind, out.Type, out.Name = syntax.Member, "SelectorExpr", n.Sel.Name
		out.Object = sub(n.X)
	case *ast.IndexExpr:
		out.Kind, out.Type = syntax.Index, "IndexExpr"
		out.Object = sub(n.X)
		sub(n.Index)
	case *ast.SliceExpr:
		out.Kind, out.Type = syntax.Index, "SliceExpr"
		out.Object = sub(n.X)
		sub(n.Low)
		sub(n.High)
		sub(n.Max)
	case *ast.BasicLit:
		out.Type = "BasicLit"
		if n.Kind == token.STRING {
			out.Kind = syntax.String
		} else {
			out.Kind = syntax.Number
		}
	case *ast.KeyValueExpr:
		out.Kind, out.Type = syntax.Pair, "KeyValueExpr"
		out.Targets = []*syntax.Node{sub(n.Key)}
		out.Value = sub(n.Value)
	case *ast.ImportSpec:
		out.Kind, out.Type = syntax.Import, "ImportSpec"
		out.Name, _ = strconv.Unquote(n.Path.Value)
		if n.Name != nil {
			out.Names = []string{n.Name.Name}
		}
	default:
		out.Type = typeName(n)
		for _, k := range children(n) {
			sub(k)
		}
	}
	return out
}

// isNilNode reports an interface holding a typed nil, which go/ast uses
// for absent optional parts (IfStmt.Else, FuncType.Results).
func isNilNode(x ast.Node) bool {
	switch v := x.(type) {
	case *ast.BlockStmt:
		return v == nil
	case *ast.FieldList:
		return v == nil
	case *ast.Ident:
		return v == nil
	}
	return false
}

func typeName(n ast.Node) string {
	switch n.(type) {
	case *ast.File:
		return "File"
	case *ast.CompositeLit:
		return "CompositeLit"
	case *ast.UnaryExpr:
		return "UnaryExpr"
	case *ast.BinaryExpr:
		return "BinaryExpr"
	case *ast.StarExpr:
		return "StarExpr"
	case *ast.DeferStmt:
		return "DeferStmt"
	case *ast.GoStmt:
		return "GoStmt"
	case *ast.Field:
		return "Field"
	case *ast.FieldList:
		return "FieldList"
	case *ast.GenDecl:
		return "GenDecl"
	case *ast.DeclStmt:
		return "DeclStmt"
	case *ast.SwitchStmt, *ast.TypeSwitchStmt:
		return "SwitchStmt"
	case *ast.CaseClause:
		return "CaseClause"
	}
	return "Other"
}
