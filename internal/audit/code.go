package audit

import (
	"regexp"
	"sort"
	"strings"
)

// match is one regular expression match in live code.
type match struct {
	start, end int
	groups     []int // submatch offsets, as from FindSubmatchIndex
}

// liveMatches finds re in the code of src (comments already blanked) and
// keeps the matches that do not start inside a string literal.
func liveMatches(re *regexp.Regexp, src *source) []match {
	var out []match
	for _, m := range re.FindAllSubmatchIndex(src.code, -1) {
		if src.inString(m[0]) {
			continue
		}
		out = append(out, match{start: m[0], end: m[1], groups: m})
	}
	return out
}

// group returns submatch i of m, or "".
func (m match) group(src *source, i int) string {
	if 2*i+1 >= len(m.groups) || m.groups[2*i] < 0 {
		return ""
	}
	return string(src.raw[m.groups[2*i]:m.groups[2*i+1]])
}

// closeParen returns the offset of the bracket that closes the one at
// open, skipping brackets in strings and comments, or -1.
func closeParen(src *source, open int) int {
	if open >= len(src.code) {
		return -1
	}
	depth := 0
	// No call spans 64 KiB: the bound keeps unbalanced brackets in
	// minified code from making every search run to the end of the file.
	limit := min(len(src.code), open+64<<10)
	for i := open; i < limit; i++ {
		switch src.code[i] {
		case '(', '[', '{':
			if !src.inString(i) {
				depth++
			}
		case ')', ']', '}':
			if !src.inString(i) {
				depth--
				if depth == 0 {
					return i
				}
			}
		}
	}
	return -1
}

// splitArgs splits the text between a call's parentheses at top-level
// commas. Offsets are absolute.
func splitArgs(src *source, open, close int) []span {
	var args []span
	depth, start := 0, open+1
	for i := open + 1; i < close; i++ {
		if src.inString(i) {
			continue
		}
		switch src.code[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				args = append(args, span{start, i})
				start = i + 1
			}
		}
	}
	if strings.TrimSpace(string(src.code[start:close])) != "" {
		args = append(args, span{start, close})
	}
	return args
}

// text returns the code of sp, trimmed.
func (s *source) text(sp span) string { return strings.TrimSpace(string(s.code[sp.start:sp.end])) }

// lineOf returns the 1-based line of offset off, without the cost of
// counting its column (a minified file is one long line).
func (s *source) lineOf(off int) int {
	if s.lines == nil {
		s.lines = lineStarts(s.raw)
	}
	return sort.Search(len(s.lines), func(k int) bool { return s.lines[k] > off })
}

// at makes a finding at offset off of src.
func at(src *source, off int, rule string, sev Severity, msg string) Finding {
	l, c := src.lineCol(off)
	return Finding{RuleID: rule, Severity: sev, Line: l, Column: c, Message: msg}
}
