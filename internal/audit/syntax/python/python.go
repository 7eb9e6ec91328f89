// Package python is the audit's front-end for Python: tree-sitter parses
// the file and the grammar is mapped onto syntax kinds.
package python

import (
	"context"
	"strings"

	"github.com/smacker/go-tree-sitter/python"

	"github.com/paywarden/paywarden/internal/audit/syntax"
	"github.com/paywarden/paywarden/internal/audit/syntax/internal/tsconv"
)

var parser = tsconv.New(python.GetLanguage())

// Parse parses Python source. Python 2 and broken code parse too, with
// the damaged parts left as Other nodes.
func Parse(ctx context.Context, src []byte) (*syntax.Node, error) {
	root, err := parser.Parse(ctx, src)
	if err != nil {
		return nil, err
	}
	root = normalize(root, src)
	syntax.Link(root)
	return root, nil
}

// unwrapped are wrappers whose only interesting part is their one child.
var unwrapped = map[string]bool{"expression_statement": true, "parenthesized_expression": true, "await": true, "as_pattern_target": true}

func normalize(n *syntax.Node, src []byte) *syntax.Node {
	if unwrapped[n.Type] && len(n.Kids) == 1 {
		field := n.Field
		k := normalize(n.Kids[0], src)
		k.Field = field
		return k
	}
	for i, k := range n.Kids {
		n.Kids[i] = normalize(k, src)
	}
	f := func(name string) *syntax.Node { return tsconv.Field(n, name) }
	switch n.Type {
	case "module":
		n.Kind = syntax.File
	case "block":
		n.Kind = syntax.Block
	case "function_definition", "lambda":
		n.Kind = syntax.Func
		if nm := f("name"); nm != nil {
			n.Name = nm.Text(src)
		}
		if ps := f("parameters"); ps != nil {
			n.Params = ps.Kids
		}
		n.Body = f("body")
	case "call":
		n.Kind = syntax.Call
		n.Callee = f("function")
		if a := f("arguments"); a != nil {
			n.Args = a.Kids
		}
	case "keyword_argument":
		n.Kind = syntax.KwArg
		if nm := f("name"); nm != nil {
			n.Name = nm.Text(src)
		}
		n.Value = f("value")
	case "if_statement", "elif_clause":
		n.Kind = syntax.If
		n.Cond, n.Then = f("condition"), f("consequence")
		n.Else = chainElse(tsconv.Fields(n, "alternative"))
	case "else_clause":
		// Only reached under try/for/while: an if's else is taken by chainElse.
		n.Kind = syntax.Other
	case "conditional_expression":
		n.Kind = syntax.Ternary
		if len(n.Kids) == 3 {
			n.Then, n.Cond, n.Else = n.Kids[0], n.Kids[1], n.Kids[2]
		}
	case "try_statement":
		n.Kind = syntax.Try
		n.Body = f("body")
		for _, k := range n.Kids {
			switch k.Type {
			case "except_clause", "except_group_clause":
				n.Catches = append(n.Catches, k)
			case "finally_clause":
				n.Finally = lastBlock(k)
			}
		}
	case "except_clause", "except_group_clause":
		n.Kind = syntax.Catch
		n.Body = lastBlock(n)
		var heads []*syntax.Node
		for _, k := range n.Kids {
			if k != n.Body {
				heads = append(heads, k)
			}
		}
		switch {
		case len(heads) == 1 && heads[0].Type == "as_pattern":
			ap := heads[0]
			if len(ap.Kids) > 0 {
				n.Cond = ap.Kids[0]
			}
			if a := tsconv.Field(ap, "alias"); a != nil {
				n.Name = a.Text(src)
			}
		case len(heads) == 2: // Python 2 and older grammars: except E, e / except E as e
			n.Cond, n.Name = heads[0], heads[1].Text(src)
		case len(heads) == 1:
			n.Cond = heads[0]
		}
	case "return_statement":
		n.Kind = syntax.Return
		if len(n.Kids) == 1 && n.Kids[0].Type == "expression_list" {
			n.Kids = n.Kids[0].Kids
		}
	case "raise_statement":
		n.Kind = syntax.Throw
	case "assignment", "augmented_assignment", "named_expression":
		n.Kind = syntax.Assign
		l, r := f("left"), f("right")
		if n.Type == "named_expression" {
			l, r = f("name"), f("value")
		}
		if l != nil {
			if l.Type == "pattern_list" || l.Type == "tuple_pattern" {
				n.Targets = l.Kids
			} else {
				n.Targets = []*syntax.Node{l}
			}
		}
		n.Value = r
	case "identifier", "true", "false", "none":
		n.Kind = syntax.Ident
		n.Name = n.Text(src)
	case "attribute":
		n.Kind = syntax.Member
		n.Object = f("object")
		if a := f("attribute"); a != nil {
			n.Name = a.Text(src)
		}
	case "subscript":
		n.Kind = syntax.Index
		n.Object = f("value")
	case "string", "concatenated_string":
		n.Kind = syntax.String
		var kids []*syntax.Node
		syntax.Walk(n, func(x *syntax.Node) bool {
			if x.Type == "interpolation" {
				kids = append(kids, x.Kids...)
				return false
			}
			return true
		})
		n.Kids = kids
	case "integer", "float":
		n.Kind = syntax.Number
	case "pair":
		n.Kind = syntax.Pair
		if k := f("key"); k != nil {
			n.Targets = []*syntax.Node{k}
		}
		n.Value = f("value")
	case "import_statement", "import_from_statement":
		n.Kind = syntax.Import
		if m := f("module_name"); m != nil {
			n.Name = m.Text(src)
		}
		for _, nm := range tsconv.Fields(n, "name") {
			t := nm.Text(src)
			if nm.Type == "aliased_import" {
				if a := tsconv.Field(nm, "alias"); a != nil {
					t = a.Text(src)
				}
			}
			if n.Type == "import_statement" {
				n.Names = append(n.Names, strings.TrimSpace(t))
				if n.Name == "" {
					n.Name = strings.TrimSpace(nm.Text(src))
				}
				continue
			}
			n.Names = append(n.Names, strings.TrimSpace(t))
		}
	}
	return n
}

// chainElse turns the elif and else clauses of an if into its Else: an If
// for an elif, whose own Else is the rest of the chain.
func chainElse(alts []*syntax.Node) *syntax.Node {
	if len(alts) == 0 {
		return nil
	}
	a := alts[0]
	if a.Type == "else_clause" {
		if b := tsconv.Field(a, "body"); b != nil {
			return b
		}
		return lastBlock(a)
	}
	if a.Else == nil {
		a.Else = chainElse(alts[1:])
	}
	return a
}

func lastBlock(n *syntax.Node) *syntax.Node {
	for i := len(n.Kids) - 1; i >= 0; i-- {
		if n.Kids[i].Type == "block" {
			return n.Kids[i]
		}
	}
	return nil
}
