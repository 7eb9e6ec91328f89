// Package javascript is the audit's front-end for JavaScript, TypeScript,
// JSX and TSX: tree-sitter parses the file and the grammar is mapped onto
// syntax kinds.
package javascript

import (
	"context"

	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"

	"github.com/paywarden/paywarden/internal/audit/syntax"
	"github.com/paywarden/paywarden/internal/audit/syntax/internal/tsconv"
)

// Dialect picks the grammar.
type Dialect int

// The dialects: plain JavaScript (with JSX), TypeScript, TSX.
const (
	JS Dialect = iota
	TS
	TSX
)

var parsers = [...]*tsconv.Parser{
	JS:  tsconv.New(javascript.GetLanguage()),
	TS:  tsconv.New(typescript.GetLanguage()),
	TSX: tsconv.New(tsx.GetLanguage()),
}

// DialectOf returns the dialect of a file name's extension.
func DialectOf(ext string) Dialect {
	switch ext {
	case ".ts", ".mts", ".cts":
		return TS
	case ".tsx":
		return TSX
	}
	return JS
}

// Parse parses source of dialect d. Broken and minified code parse too,
// with the damaged parts left as Other nodes.
func Parse(ctx context.Context, d Dialect, src []byte) (*syntax.Node, error) {
	root, err := parsers[d].Parse(ctx, src)
	if err != nil {
		return nil, err
	}
	root = normalize(root, src)
	syntax.Link(root)
	return root, nil
}

// unwrapped are wrappers whose only interesting part is their one child.
var unwrapped = map[string]bool{"expression_statement": true, "parenthesized_expression": true, "await_expression": true,
	"as_expression": true, "non_null_expression": true, "satisfies_expression": true, "type_assertion": true, "else_clause": true}

var funcTypes = map[string]bool{"function_declaration": true, "function": true, "function_expression": true, "arrow_function": true,
	"generator_function_declaration": true, "generator_function": true, "method_definition": true}

func normalize(n *syntax.Node, src []byte) *syntax.Node {
	if unwrapped[n.Type] && len(n.Kids) >= 1 {
		field := n.Field
		k := normalize(n.Kids[0], src)
		if len(n.Kids) == 1 || n.Type != "else_clause" {
			k.Field = field
			return k
		}
	}
	for i, k := range n.Kids {
		n.Kids[i] = normalize(k, src)
	}
	f := func(name string) *syntax.Node { return tsconv.Field(n, name) }
	switch {
	case n.Type == "program":
		n.Kind = syntax.File
	case n.Type == "statement_block" || n.Type == "class_body":
		n.Kind = syntax.Block
	case funcTypes[n.Type]:
		n.Kind = syntax.Func
		if nm := f("name"); nm != nil {
			n.Name = nm.Text(src)
		}
		if ps := f("parameters"); ps != nil {
			n.Params = ps.Kids
		} else if p := f("parameter"); p != nil {
			n.Params = []*syntax.Node{p}
		}
		n.Body = f("body")
	case n.Type == "call_expression" || n.Type == "new_expression":
		n.Kind = syntax.Call
		n.Callee = f("function")
		if n.Type == "new_expression" {
			n.Callee = f("constructor")
		}
		if a := f("arguments"); a != nil {
			if a.Type == "template_string" {
				n.Args = []*syntax.Node{a}
			} else {
				n.Args = a.Kids
			}
		}
	case n.Type == "if_statement":
		n.Kind = syntax.If
		n.Cond, n.Then, n.Else = f("condition"), f("consequence"), f("alternative")
	case n.Type == "ternary_expression":
		n.Kind = syntax.Ternary
		n.Cond, n.Then, n.Else = f("condition"), f("consequence"), f("alternative")
	case n.Type == "try_statement":
		n.Kind = syntax.Try
		n.Body = f("body")
		if h := f("handler"); h != nil {
			n.Catches = []*syntax.Node{h}
		}
		if fin := f("finalizer"); fin != nil {
			n.Finally = tsconv.Field(fin, "body")
		}
	case n.Type == "catch_clause":
		n.Kind = syntax.Catch
		if p := f("parameter"); p != nil {
			n.Name = p.Text(src)
		}
		n.Body = f("body")
	case n.Type == "return_statement":
		n.Kind = syntax.Return
	case n.Type == "throw_statement":
		n.Kind = syntax.Throw
	case n.Type == "variable_declarator" || n.Type == "assignment_expression" || n.Type == "augmented_assignment_expression":
		n.Kind = syntax.Assign
		l, r := f("left"), f("right")
		if n.Type == "variable_declarator" {
			l, r = f("name"), f("value")
		}
		if l != nil {
			if l.Type == "object_pattern" || l.Type == "array_pattern" {
				n.Targets = l.Kids
			} else {
				n.Targets = []*syntax.Node{l}
			}
		}
		n.Value = r
		if r != nil && r.Kind == syntax.Func && r.Name == "" && len(n.Targets) == 1 {
			r.Name = n.Targets[0].Name // const handler = (req, res) => ...
		}
	case n.Type == "identifier" || n.Type == "property_identifier" || n.Type == "shorthand_property_identifier" ||
		n.Type == "this" || n.Type == "true" || n.Type == "false" || n.Type == "null" || n.Type == "undefined" ||
		n.Type == "shorthand_property_identifier_pattern" || n.Type == "private_property_identifier":
		n.Kind = syntax.Ident
		n.Name = n.Text(src)
	case n.Type == "member_expression":
		n.Kind = syntax.Member
		n.Object = f("object")
		if p := f("property"); p != nil {
			n.Name = p.Text(src)
		}
		if f("optional_chain") != nil {
			n.Optional = true
		}
	case n.Type == "subscript_expression":
		n.Kind = syntax.Index
		n.Object = f("object")
		if f("optional_chain") != nil {
			n.Optional = true
		}
	case n.Type == "string" || n.Type == "template_string":
		n.Kind = syntax.String
		var kids []*syntax.Node
		for _, k := range n.Kids {
			if k.Type == "template_substitution" {
				kids = append(kids, k.Kids...)
			}
		}
		n.Kids = kids
	case n.Type == "number":
		n.Kind = syntax.Number
	case n.Type == "pair":
		n.Kind = syntax.Pair
		if k := f("key"); k != nil {
			n.Targets = []*syntax.Node{k}
		}
		n.Value = f("value")
		if n.Value != nil && n.Value.Kind == syntax.Func && n.Value.Name == "" && len(n.Targets) == 1 {
			n.Value.Name = n.Targets[0].Name
		}
	case n.Type == "import_statement":
		n.Kind = syntax.Import
		if s := f("source"); s != nil {
			n.Name = s.Unquote(src)
		}
		syntax.Walk(n, func(x *syntax.Node) bool {
			if x.Kind == syntax.Ident {
				n.Names = append(n.Names, x.Name)
			}
			return true
		})
	}
	return n
}
