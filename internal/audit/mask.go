package audit

import (
	"bytes"
	"sort"

	"github.com/paywarden/paywarden/internal/audit/syntax"
)

// source is a file prepared for the code rules: comments are blanked out
// (newlines kept, so offsets and lines still match the original) and the
// spans of string literals are known, because code inside strings or
// comments is not live code.
type source struct {
	path  string
	raw   []byte
	code  []byte // raw with comments replaced by spaces
	strs  []span // string literal spans in raw, sorted, contents only
	lines []int  // offsets of line starts, built on demand

	parsed bool         // syntaxTree was called
	tree   *syntax.Node // the syntax tree, nil when it could not be parsed
}

type span struct{ start, end int } // [start, end)

// inString reports whether offset i lies inside a string literal.
func (s *source) inString(i int) bool {
	j := sort.Search(len(s.strs), func(k int) bool { return s.strs[k].end > i })
	return j < len(s.strs) && s.strs[j].start <= i
}

// lineCol converts a byte offset into a 1-based line and a 1-based column
// counted in code points.
func (s *source) lineCol(off int) (int, int) {
	if s.lines == nil {
		s.lines = lineStarts(s.raw)
	}
	return lineColIn(s.raw, s.lines, off)
}

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func lineColIn(b []byte, starts []int, off int) (int, int) {
	if off > len(b) {
		off = len(b)
	}
	ln := sort.Search(len(starts), func(k int) bool { return starts[k] > off }) - 1
	if ln < 0 {
		ln = 0
	}
	col := 1
	for _, c := range b[starts[ln]:off] {
		if c&0xC0 != 0x80 { // count code points, not continuation bytes
			col++
		}
	}
	return ln + 1, col
}

// line returns the text of 1-based line n of the raw file, without its newline.
func (s *source) line(n int) string {
	if s.lines == nil {
		s.lines = lineStarts(s.raw)
	}
	if n < 1 || n > len(s.lines) {
		return ""
	}
	start := s.lines[n-1]
	end := len(s.raw)
	if n < len(s.lines) {
		end = s.lines[n] - 1
	}
	if end > start && s.raw[end-1] == '\r' {
		end--
	}
	return string(s.raw[start:end])
}

// newSource lexes raw as language l. The lexers are forgiving: an
// unterminated string or comment simply runs to the end of the file, so
// that Python 2, minified JavaScript or a truncated file never stop a scan.
func newSource(p string, l lang, raw []byte) *source {
	s := &source{path: p, raw: raw}
	code := make([]byte, len(raw))
	copy(code, raw)
	s.code = code
	switch l {
	case langPython:
		lexPython(s)
	case langJS:
		lexC(s, true)
	case langGo:
		lexC(s, false)
	case langRuby, langShell, langYAML, langEnv, langTOML:
		lexHash(s)
	}
	return s
}

func (s *source) blank(from, to int) {
	for i := from; i < to && i < len(s.code); i++ {
		if s.code[i] != '\n' {
			s.code[i] = ' '
		}
	}
}

func lexPython(s *source) {
	b := s.raw
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '#':
			j := indexByteFrom(b, i, '\n')
			s.blank(i, j)
			i = j
		case c == '"' || c == '\'':
			if i+2 < len(b) && b[i+1] == c && b[i+2] == c {
				j := i + 3
				for j < len(b) {
					if b[j] == '\\' {
						j += 2
						continue
					}
					if b[j] == c && j+2 < len(b) && b[j+1] == c && b[j+2] == c {
						break
					}
					j++
				}
				end := min(j, len(b))
				s.strs = append(s.strs, span{i + 3, end})
				i = min(end+3, len(b))
				continue
			}
			j := i + 1
			for j < len(b) && b[j] != c && b[j] != '\n' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j, len(b))
			s.strs = append(s.strs, span{i + 1, end})
			i = end + 1
		default:
			i++
		}
	}
}

// lexC lexes Go and JavaScript: // and /* */ comments, "" and ” strings,
// backquoted strings (JavaScript templates with ${} code inside), and for
// JavaScript regular expression literals.
func lexC(s *source, js bool) {
	b := s.raw
	var tmplDepth []int // brace depth at which each open template resumes
	depth := 0
	prev := byte(0) // last significant byte, to tell a regex from a division
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			j := indexByteFrom(b, i, '\n')
			s.blank(i, j)
			i = j
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			j := indexFrom(b, i+2, "*/")
			end := min(j+2, len(b))
			if j < 0 {
				end = len(b)
			}
			s.blank(i, end)
			i = end
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(b) && b[j] != c && b[j] != '\n' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j, len(b))
			s.strs = append(s.strs, span{i + 1, end})
			i = end + 1
			prev = 'a'
		case c == '`':
			i = lexTemplate(s, i+1, js, &tmplDepth, depth)
			prev = 'a'
		case js && c == '}' && len(tmplDepth) > 0 && tmplDepth[len(tmplDepth)-1] == depth:
			tmplDepth = tmplDepth[:len(tmplDepth)-1]
			i = lexTemplate(s, i+1, js, &tmplDepth, depth)
			prev = 'a'
		case js && c == '/' && regexCanStart(prev):
			j := i + 1
			inClass := false
			for j < len(b) && b[j] != '\n' {
				if b[j] == '\\' {
					j += 2
					continue
				}
				if b[j] == '[' {
					inClass = true
				} else if b[j] == ']' {
					inClass = false
				} else if b[j] == '/' && !inClass {
					break
				}
				j++
			}
			end := min(j, len(b))
			s.strs = append(s.strs, span{i + 1, end})
			i = end + 1
			prev = 'a'
		default:
			switch c {
			case '{':
				depth++
			case '}':
				depth--
			}
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				prev = c
			}
			i++
		}
	}
}

// lexTemplate scans a backquoted string from i (just past the opening
// quote) and returns where lexing resumes. In JavaScript a ${ opens code,
// which the caller lexes until the matching }.
func lexTemplate(s *source, i int, js bool, stack *[]int, depth int) int {
	b := s.raw
	j := i
	for j < len(b) && b[j] != '`' {
		if js && b[j] == '\\' {
			j += 2
			continue
		}
		if js && b[j] == '$' && j+1 < len(b) && b[j+1] == '{' {
			s.strs = append(s.strs, span{i, j})
			*stack = append(*stack, depth)
			return j + 2
		}
		j++
	}
	end := min(j, len(b))
	s.strs = append(s.strs, span{i, end})
	return end + 1
}

func regexCanStart(prev byte) bool {
	switch prev {
	case 0, '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^':
		return true
	}
	return false
}

// lexHash blanks # comments of shell-like languages. A # inside a value
// (KEY=abc#def) is not a comment, so only a # at the start of a line or
// after whitespace counts.
func lexHash(s *source) {
	b := s.raw
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && (i == 0 || b[i-1] == ' ' || b[i-1] == '\t' || b[i-1] == '\n') {
			j := indexByteFrom(b, i, '\n')
			s.blank(i, j)
			i = j
		}
	}
}

// indexByteFrom returns the index of the first c at or after i, or len(b).
func indexByteFrom(b []byte, i int, c byte) int {
	if i >= len(b) {
		return len(b)
	}
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return len(b)
}

// indexFrom returns the index of the first sub at or after i, or -1.
func indexFrom(b []byte, i int, sub string) int {
	if i > len(b) {
		return -1
	}
	if j := bytes.Index(b[i:], []byte(sub)); j >= 0 {
		return i + j
	}
	return -1
}
