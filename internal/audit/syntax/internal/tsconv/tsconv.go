// Package tsconv turns a tree-sitter parse into a syntax.Node tree of
// named nodes, for the front-ends to give kinds and roles.
package tsconv

import (
	"context"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/paywarden/paywarden/internal/audit/syntax"
)

// Parser parses one language; it is safe for concurrent use.
type Parser struct {
	lang *sitter.Language
	pool sync.Pool
}

// New returns a Parser for lang.
func New(lang *sitter.Language) *Parser {
	return &Parser{lang: lang}
}

// Parse parses src into a tree of named nodes with their types, fields and
// offsets. Kinds are left for the caller to assign. Syntax errors do not
// fail: tree-sitter recovers, and the damaged part becomes ERROR nodes.
func (p *Parser) Parse(ctx context.Context, src []byte) (*syntax.Node, error) {
	sp, _ := p.pool.Get().(*sitter.Parser)
	if sp == nil {
		sp = sitter.NewParser()
		sp.SetLanguage(p.lang)
	}
	tree, err := sp.ParseCtx(ctx, nil, src)
	if err != nil {
		sp.Reset()
		p.pool.Put(sp)
		return nil, err
	}
	defer tree.Close()
	cur := sitter.NewTreeCursor(tree.RootNode())
	defer cur.Close()
	root := convert(cur)
	p.pool.Put(sp)
	return root, nil
}

// convert builds the node under the cursor and its named descendants.
// Anonymous nodes (punctuation, keywords) and comments are dropped.
func convert(cur *sitter.TreeCursor) *syntax.Node {
	n := cur.CurrentNode()
	out := &syntax.Node{Type: n.Type(), Start: int(n.StartByte()), End: int(n.EndByte())}
	if !cur.GoToFirstChild() {
		return out
	}
	for {
		c := cur.CurrentNode()
		field := cur.CurrentFieldName()
		if c.IsNamed() && !isComment(c.Type()) {
			k := convert(cur)
			k.Field = field
			out.Kids = append(out.Kids, k)
		} else if t := c.Type(); t == "?." || t == "optional_chain" {
			out.Optional = true
		}
		if !cur.GoToNextSibling() {
			break
		}
	}
	cur.GoToParent()
	return out
}

// isComment reports the grammars' comment nodes: extras that may sit
// anywhere, which the rules never read (code in comments is not code).
func isComment(t string) bool { return t == "comment" || t == "html_comment" }

// Field returns the first child of n that fills field, or nil.
func Field(n *syntax.Node, field string) *syntax.Node {
	for _, k := range n.Kids {
		if k.Field == field {
			return k
		}
	}
	return nil
}

// Fields returns every child of n that fills field.
func Fields(n *syntax.Node, field string) []*syntax.Node {
	var out []*syntax.Node
	for _, k := range n.Kids {
		if k.Field == field {
			out = append(out, k)
		}
	}
	return out
}
