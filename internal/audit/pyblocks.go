package audit

import (
	"regexp"
	"strings"
)

// Python's blocks are its indentation. These helpers read it from the code
// view (comments blanked) one line at a time; continuation lines inside
// brackets are rare enough at the places they look to be ignored.

var (
	pyTryLine    = regexp.MustCompile(`^\s*try\s*:`)
	pyExceptLine = regexp.MustCompile(`^\s*except\b\s*(.*?)\s*:\s*(.*)$`)
	pyFinally    = regexp.MustCompile(`^\s*(?:finally|else)\s*:`)
	pyDefLine    = regexp.MustCompile(`^\s*(?:async\s+)?def\s+(\w+)|^\s*class\s+\w+`)
)

// pyEnclosingTry returns the line of the try: whose body holds line, or 0.
// It stops at the enclosing def or class.
func pyEnclosingTry(src *source, line int) int {
	cur := indentOf(src.codeLine(line))
	for l := line - 1; l >= 1 && cur > 0; l-- {
		text := src.codeLine(l)
		ind := indentOf(text)
		if ind < 0 || ind >= cur {
			continue
		}
		cur = ind
		switch {
		case pyTryLine.MatchString(text):
			return l
		case pyDefLine.MatchString(text):
			return 0
		}
	}
	return 0
}

// pyBlockEnd returns the last line of the block opened at line: the lines
// after it indented deeper.
func pyBlockEnd(src *source, line int) int {
	base := indentOf(src.codeLine(line))
	last := line
	for l := line + 1; l <= src.numLines(); l++ {
		ind := indentOf(src.codeLine(l))
		if ind < 0 {
			continue
		}
		if ind <= base {
			break
		}
		last = l
	}
	return last
}

// pyClause is an except clause: its line, what it catches, the name it
// binds, and its body.
type pyClause struct {
	line, from, to int
	catches, as    string
	inline         string // a body on the except line itself
}

// pyExcepts returns the except clauses of the try at line tryLine.
func pyExcepts(src *source, tryLine int) []pyClause {
	base := indentOf(src.codeLine(tryLine))
	var out []pyClause
	l := pyBlockEnd(src, tryLine) + 1
	for l <= src.numLines() {
		text := src.codeLine(l)
		ind := indentOf(text)
		if ind < 0 {
			l++
			continue
		}
		if ind != base {
			break
		}
		m := pyExceptLine.FindStringSubmatch(text)
		if m == nil {
			if pyFinally.MatchString(text) {
				l = pyBlockEnd(src, l) + 1
				continue
			}
			break
		}
		c := pyClause{line: l, catches: m[1], inline: strings.TrimSpace(m[2])}
		if i := strings.LastIndex(c.catches, " as "); i >= 0 {
			c.as = strings.TrimSpace(c.catches[i+4:])
			c.catches = strings.TrimSpace(c.catches[:i])
		} else if i := strings.LastIndex(c.catches, ","); i >= 0 && !strings.HasPrefix(c.catches, "(") {
			// Python 2: except Error, e:
			c.as = strings.TrimSpace(c.catches[i+1:])
			c.catches = strings.TrimSpace(c.catches[:i])
		}
		c.from, c.to = l+1, pyBlockEnd(src, l)
		out = append(out, c)
		l = c.to + 1
	}
	return out
}

// body returns the clause's body lines, trimmed, without blank lines.
func (c pyClause) body(src *source) []string {
	var lines []string
	if c.inline != "" {
		lines = append(lines, c.inline)
	}
	for l := c.from; l <= c.to; l++ {
		if t := strings.TrimSpace(src.codeLine(l)); t != "" {
			lines = append(lines, t)
		}
	}
	return lines
}
