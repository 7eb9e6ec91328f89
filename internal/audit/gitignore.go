package audit

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
	"strings"
)

// ignoreList holds patterns in .gitignore syntax. It serves both the
// .gitignore files of trees that are not git work trees and --exclude.
type ignoreList struct {
	pats []ignorePattern
}

type ignorePattern struct {
	re      *regexp.Regexp
	base    string // folder of the .gitignore the pattern came from, "" for the root
	negate  bool
	dirOnly bool
	byName  bool // no slash in the pattern: it matches a name at any depth
}

// add parses one pattern line found in folder base.
func (l *ignoreList) add(base, line string) {
	line = strings.TrimRight(line, "\r")
	if t := strings.TrimRight(line, " "); !strings.HasSuffix(t, "\\") {
		line = t
	}
	if line == "" || line[0] == '#' {
		return
	}
	p := ignorePattern{base: base}
	if line[0] == '!' {
		p.negate = true
		line = line[1:]
	} else if line[0] == '\\' {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		p.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return
	}
	if !strings.Contains(line, "/") {
		p.byName = true
	}
	line = strings.TrimPrefix(line, "/")
	re, err := regexp.Compile("^" + globToRegexp(line) + "$")
	if err != nil {
		return // a pattern git cannot make sense of either
	}
	p.re = re
	l.pats = append(l.pats, p)
}

// addFile parses a .gitignore file found in folder base.
func (l *ignoreList) addFile(base string, data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l.add(base, sc.Text())
	}
}

// match reports whether rel (slash-separated, relative to the root) is
// ignored. The last matching pattern wins, as in git.
func (l *ignoreList) match(rel string, isDir bool) bool {
	ignored := false
	for i := range l.pats {
		p := &l.pats[i]
		if p.dirOnly && !isDir {
			continue
		}
		sub := rel
		if p.base != "" {
			if !strings.HasPrefix(rel, p.base+"/") {
				continue
			}
			sub = rel[len(p.base)+1:]
		}
		if p.byName {
			sub = path.Base(sub)
		}
		if p.re.MatchString(sub) {
			ignored = !p.negate
		}
	}
	return ignored
}

// matchPath reports whether rel or any folder above it is ignored: what
// matters for a file listed by git rather than found by walking.
func (l *ignoreList) matchPath(rel string) bool {
	if len(l.pats) == 0 {
		return false
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && l.match(rel[:i], true) {
			return true
		}
	}
	return l.match(rel, false)
}

// globToRegexp translates a gitignore glob: * and ? stay within a path
// segment, ** crosses segments, [...] is a character class.
func globToRegexp(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				i++
				if i+1 < len(g) && g[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?") // "**/" matches zero or more folders
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(g[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := g[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		case '\\':
			if i+1 < len(g) {
				i++
				b.WriteString(regexp.QuoteMeta(string(g[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}
