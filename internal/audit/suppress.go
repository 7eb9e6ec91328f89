package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// ignoreRe matches an inline suppression: "paywarden:ignore RULE reason",
// where RULE is a rule id, a family, a comma-separated list of them, or
// "all". It suppresses findings on its own line and on the line below, so
// it can sit in a comment above the code it excuses.
var ignoreRe = regexp.MustCompile(`paywarden:ignore[ \t]+([A-Za-z0-9_,*-]+)`)

var ignoreNeedle = []byte("paywarden:ignore")

// parseIgnores records the suppressions in f.
func parseIgnores(f *fileCtx) {
	if !bytes.Contains(f.data, ignoreNeedle) {
		return
	}
	line := 1
	start := 0
	for i := 0; i <= len(f.data); i++ {
		if i < len(f.data) && f.data[i] != '\n' {
			continue
		}
		text := f.data[start:i]
		if bytes.Contains(text, ignoreNeedle) {
			for _, m := range ignoreRe.FindAllSubmatch(text, -1) {
				if f.ignores == nil {
					f.ignores = map[int][]string{}
				}
				for _, id := range strings.Split(string(m[1]), ",") {
					id = strings.ToLower(strings.TrimSpace(id))
					if id == "" {
						continue
					}
					f.ignores[line] = append(f.ignores[line], id)
					f.ignores[line+1] = append(f.ignores[line+1], id)
				}
			}
		}
		line++
		start = i + 1
	}
}

// suppressed reports whether ids (from a paywarden:ignore) cover rule.
func suppressedBy(ids []string, rule string) bool {
	r := rulesByID[rule]
	for _, id := range ids {
		if id == rule || id == "all" || id == "*" || (r != nil && familyAliases[id] == r.Family) {
			return true
		}
	}
	return false
}

// suppressInline drops the findings that a paywarden:ignore comment covers.
// ignores is keyed by tree argument and relative path.
func suppressInline(fs []Finding, ignores map[string]map[int][]string) ([]Finding, int) {
	if len(ignores) == 0 {
		return fs, 0
	}
	kept := fs[:0]
	n := 0
	for _, f := range fs {
		if m := ignores[f.treeArg+"\x00"+f.relPath]; m != nil && !f.fromHistory && suppressedBy(m[f.Line], f.RuleID) {
			n++
			continue
		}
		kept = append(kept, f)
	}
	return kept, n
}

// Baseline is a set of accepted findings, by fingerprint. Its file lists
// rule and path beside each fingerprint so that a reviewer can read it;
// only the fingerprint is used for matching, and no secret is stored.
type Baseline struct {
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
}

// BaselineEntry is one accepted finding.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	Path        string `json:"path"`
}

// NewBaseline makes a baseline that accepts every finding in fs.
func NewBaseline(fs []Finding) *Baseline {
	b := &Baseline{Version: 1, Findings: []BaselineEntry{}}
	for _, f := range fs {
		b.Findings = append(b.Findings, BaselineEntry{Fingerprint: f.Fingerprint, Rule: f.RuleID, Path: f.Path})
	}
	sort.Slice(b.Findings, func(i, j int) bool {
		x, y := b.Findings[i], b.Findings[j]
		if x.Path != y.Path {
			return x.Path < y.Path
		}
		if x.Rule != y.Rule {
			return x.Rule < y.Rule
		}
		return x.Fingerprint < y.Fingerprint
	})
	return b
}

// ReadBaseline reads a baseline file.
func ReadBaseline(name string) (*Baseline, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", name, err)
	}
	if b.Version != 1 {
		return nil, fmt.Errorf("baseline %s: unsupported version %d", name, b.Version)
	}
	return &b, nil
}

// WriteFile writes b as indented JSON.
func (b *Baseline) WriteFile(name string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(data, '\n'), 0o644)
}

// Apply removes the findings that b accepts from r.
func (b *Baseline) Apply(r *Report) {
	known := make(map[string]bool, len(b.Findings))
	for _, e := range b.Findings {
		known[e.Fingerprint] = true
	}
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		if known[f.Fingerprint] {
			r.Summary.Baselined++
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	r.recount()
}

// lineText returns 1-based line n of b without its line ending.
func lineText(b []byte, n int) string {
	start := 0
	for l := 1; l < n; l++ {
		i := bytes.IndexByte(b[start:], '\n')
		if i < 0 {
			return ""
		}
		start += i + 1
	}
	end := bytes.IndexByte(b[start:], '\n')
	if end < 0 {
		end = len(b) - start
	}
	return strings.TrimRight(string(b[start:start+end]), "\r")
}
