// Package syntax is the language-neutral syntax tree the audit's code rules
// walk. Each language has a front-end in a subpackage (python and
// javascript on tree-sitter, golang on go/parser) that parses a file and
// maps its grammar onto the few kinds of node the rules need: functions,
// branches, try blocks, returns, calls with their arguments, assignments,
// names and literals. Everything else is kept as Other with its children,
// so a walk still reaches every call.
//
// Rules import this package and the front-ends; nothing here imports a rule.
package syntax

import "strings"

// Kind is what a node is, across languages.
type Kind uint8

// The kinds of node.
const (
	Other   Kind = iota // anything else; Type says what
	File                // the whole file
	Block               // a list of statements
	Func                // function, method, lambda, arrow function; Name, Params, Body
	Call                // Callee(Args); also `new X(...)`
	KwArg               // name=value in a Python call; Name, Value
	If                  // if/elif/else; Cond, Then, Else (an If for elif)
	Ternary             // a if c else b, c ? a : b; Cond, Then, Else
	Try                 // try; Body, Catches, Finally
	Catch               // except/catch clause; Name (the bound variable), Cond (the caught types), Body
	Return              // return; Kids are the values
	Throw               // raise, throw
	Assign              // Targets = Value; declarations with a value too
	Ident               // a name; Name
	Member              // a.b, a?.b; Object, Name (the property)
	Index               // a[i], a[i:j]; Object
	String              // a string literal; Kids are interpolated expressions
	Number              // a numeric literal
	Import              // import; Name is the module, Names what it binds
	Pair                // key: value in an object or dict; Targets[0] key, Value
)

var kindNames = [...]string{"Other", "File", "Block", "Func", "Call", "KwArg", "If", "Ternary", "Try", "Catch",
	"Return", "Throw", "Assign", "Ident", "Member", "Index", "String", "Number", "Import", "Pair"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind?"
}

// Node is one node of a syntax tree. Kids holds every child in source
// order; the named roles point into Kids.
type Node struct {
	Kind   Kind
	Type   string // the grammar's own name ("call", "if_statement", "CallExpr")
	Field  string // the parent's field this node fills, when the grammar names one
	Start  int    // byte offset of the first byte
	End    int    // byte offset after the last byte
	Name   string // Func, Ident, Member property, KwArg, Catch variable, Import module
	Kids   []*Node
	Parent *Node

	Callee           *Node   // Call
	Args             []*Node // Call
	Cond, Then, Else *Node   // If, Ternary; Cond is the caught types of a Catch
	Body             *Node   // Func, Try, Catch
	Params           []*Node // Func
	Catches          []*Node // Try
	Finally          *Node   // Try
	Targets          []*Node // Assign, Pair (the key)
	Value            *Node   // Assign, KwArg, Pair
	Object           *Node   // Member, Index
	Optional         bool    // Member reached with ?.
	Names            []string
}

// Text returns the source text of n.
func (n *Node) Text(src []byte) string {
	if n == nil || n.Start < 0 || n.End > len(src) || n.Start > n.End {
		return ""
	}
	return string(src[n.Start:n.End])
}

// Walk calls fn for n and its descendants in source order. When fn
// returns false the children of that node are skipped.
func Walk(n *Node, fn func(*Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	for _, k := range n.Kids {
		Walk(k, fn)
	}
}

// Find returns every node under n (n included) of kind k, in source order.
func Find(n *Node, k Kind) []*Node {
	var out []*Node
	Walk(n, func(x *Node) bool {
		if x.Kind == k {
			out = append(out, x)
		}
		return true
	})
	return out
}

// Enclosing returns the nearest ancestor of n of kind k, or nil.
func (n *Node) Enclosing(k Kind) *Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Kind == k {
			return p
		}
	}
	return nil
}

// Contains reports whether m lies inside n (or is n).
func (n *Node) Contains(m *Node) bool {
	return n != nil && m != nil && n.Start <= m.Start && m.End <= n.End
}

// Path returns the dotted name of an Ident or Member chain ("stripe.Webhook.construct_event"),
// "" for anything else. Calls in the chain are kept as "()":
// require('stripe')(key).webhooks is "require().webhooks".
func (n *Node) Path() string {
	switch {
	case n == nil:
		return ""
	case n.Kind == Ident:
		return n.Name
	case n.Kind == Member:
		o := n.Object.Path()
		if o == "" {
			return n.Name
		}
		return o + "." + n.Name
	case n.Kind == Call:
		return n.Callee.Path() + "()"
	}
	return ""
}

// CalleeName returns the last name of a call's callee: "construct_event"
// for stripe.Webhook.construct_event(...).
func (n *Node) CalleeName() string {
	if n == nil || n.Kind != Call || n.Callee == nil {
		return ""
	}
	switch n.Callee.Kind {
	case Ident, Member:
		return n.Callee.Name
	}
	return ""
}

// CalleePath returns the dotted path of a call's callee, or "".
func (n *Node) CalleePath() string {
	if n == nil || n.Kind != Call {
		return ""
	}
	return n.Callee.Path()
}

// Kwarg returns the value of keyword argument name of a call, or nil.
func (n *Node) Kwarg(name string) *Node {
	for _, a := range n.Args {
		if a.Kind == KwArg && a.Name == name {
			return a.Value
		}
	}
	return nil
}

// Positional returns the positional arguments of a call.
func (n *Node) Positional() []*Node {
	var out []*Node
	for _, a := range n.Args {
		if a.Kind != KwArg {
			out = append(out, a)
		}
	}
	return out
}

// Link sets the Parent of every node under n.
func Link(n *Node) {
	for _, k := range n.Kids {
		k.Parent = n
		Link(k)
	}
}

// Unquote returns the contents of a string literal without its quotes and
// prefixes, or "" when n is not a String.
func (n *Node) Unquote(src []byte) string {
	if n == nil || n.Kind != String {
		return ""
	}
	t := n.Text(src)
	t = strings.TrimLeft(t, "rRbBuUfF")
	for _, q := range []string{`"""`, `'''`, `"`, `'`, "`"} {
		if len(t) >= 2*len(q) && strings.HasPrefix(t, q) && strings.HasSuffix(t, q) {
			return t[len(q) : len(t)-len(q)]
		}
	}
	return t
}

// Statements returns the statements of a Block, or n itself as the only
// statement when it is not a block (a one-line if body in JavaScript).
func (n *Node) Statements() []*Node {
	if n == nil {
		return nil
	}
	if n.Kind == Block {
		return n.Kids
	}
	return []*Node{n}
}
