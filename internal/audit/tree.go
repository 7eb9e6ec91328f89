package audit

import (
	"context"
	"path"
	"strings"

	"github.com/paywarden/paywarden/internal/audit/syntax"
	"github.com/paywarden/paywarden/internal/audit/syntax/golang"
	"github.com/paywarden/paywarden/internal/audit/syntax/javascript"
	"github.com/paywarden/paywarden/internal/audit/syntax/python"
)

// syntaxTree parses src once, with the front-end of its language, and
// returns the tree, or nil when the language has none or nothing could be
// read. Only files that pass the Stripe prefilter get here.
func (s *source) syntaxTree(l lang) *syntax.Node {
	if s.parsed {
		return s.tree
	}
	s.parsed = true
	var err error
	switch l {
	case langPython:
		s.tree, err = python.Parse(context.Background(), s.raw)
	case langJS:
		s.tree, err = javascript.Parse(context.Background(), javascript.DialectOf(strings.ToLower(path.Ext(s.path))), s.raw)
	case langGo:
		s.tree, err = golang.Parse(s.path, s.raw)
	}
	if err != nil {
		s.tree = nil
	}
	return s.tree
}

// nodeAt makes a finding at the start of node n.
func nodeAt(src *source, n *syntax.Node, rule string, sev Severity, msg string) Finding {
	return at(src, n.Start, rule, sev, msg)
}
