// Package jsonstrict refuses JSON documents that parsers read differently:
// an object with the same member name twice, or with two names that differ
// only in case. encoding/json keeps the last duplicate and matches struct
// fields case-insensitively, while other parsers (a subscriber's, Stripe's)
// keep the first or match exactly; paywarden refuses both shapes so that
// what it stores or acts on is what every reader sees.
//
// It only checks names; decoding stays with encoding/json. It owns no I/O.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ErrDuplicate is the error Check returns for a repeated name.
var ErrDuplicate = errors.New("duplicate member name")

// Check reports whether data, which must already be valid JSON (for example
// because encoding/json decoded it), has an object with two members whose
// names are equal under Unicode case folding. The error names the member,
// quoted, and wraps ErrDuplicate; any other error means data is not valid
// JSON.
func Check(data []byte) error {
	s := scanner{data: data}
	s.space()
	if err := s.value(0); err != nil {
		return err
	}
	return nil
}

// maxDepth bounds nesting, as encoding/json does (10000); a deeper document
// is refused rather than recursed into.
const maxDepth = 10000

type scanner struct {
	data []byte
	i    int
	// names holds the member names of the objects being read, innermost
	// last: each object compares against and truncates back to its own
	// part, so the slice is reused across the whole document.
	names [][]byte
}

var errSyntax = errors.New("jsonstrict: invalid JSON")

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if s.i >= len(s.data) {
		return errSyntax
	}
	switch s.data[s.i] {
	case '{':
		return s.object(depth + 1)
	case '[':
		return s.array(depth + 1)
	case '"':
		_, _, err := s.str()
		return err
	default:
		// A number, true, false or null: skip to the next delimiter.
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return nil
			}
			s.i++
		}
		return nil
	}
}

func (s *scanner) array(depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	s.i++ // [
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.space()
		if err := s.value(depth); err != nil {
			return err
		}
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

func (s *scanner) object(depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	s.i++ // {
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return nil
	}
	// Most objects have a handful of members: comparing each new name with
	// the earlier ones (bytes.EqualFold, no allocation) is cheaper than a
	// map until there are many.
	base := len(s.names)
	defer func() { s.names = s.names[:base] }()
	var seen map[string]struct{}
	for {
		s.space()
		name, escaped, err := s.str()
		if err != nil {
			return err
		}
		if escaped {
			var u string
			if err := json.Unmarshal(append(append([]byte{'"'}, name...), '"'), &u); err != nil {
				return errSyntax
			}
			name = []byte(u)
		}
		if seen == nil {
			for _, n := range s.names[base:] {
				if bytes.EqualFold(n, name) {
					return fmt.Errorf("%w %q", ErrDuplicate, name)
				}
			}
			s.names = append(s.names, name)
			if len(s.names)-base > 16 {
				seen = make(map[string]struct{}, 2*(len(s.names)-base))
				for _, n := range s.names[base:] {
					seen[fold(string(n))] = struct{}{}
				}
			}
		} else {
			key := fold(string(name))
			if _, dup := seen[key]; dup {
				return fmt.Errorf("%w %q", ErrDuplicate, name)
			}
			seen[key] = struct{}{}
		}
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return errSyntax
		}
		s.i++
		s.space()
		if err := s.value(depth); err != nil {
			return err
		}
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

// str reads a string at s.i and returns its raw contents (between the
// quotes) and whether it holds an escape.
func (s *scanner) str() ([]byte, bool, error) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return nil, false, errSyntax
	}
	start := s.i + 1
	escaped := false
	for j := start; j < len(s.data); j++ {
		switch s.data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			s.i = j + 1
			return s.data[start:j], escaped, nil
		}
	}
	return nil, false, errSyntax
}

// fold maps name to one representative of its case-folding class, the
// same equivalence encoding/json uses to match a member to a field
// (Unicode simple folding, as bytes.EqualFold), so that two names fold
// to the same string exactly when EqualFold holds.
func fold(name string) string {
	// ASCII fast path: the smallest rune of an ASCII letter's orbit is its
	// upper case, so a name without lower-case letters is its own form.
	lower := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf {
			return foldRunes(name)
		}
		lower = lower || 'a' <= c && c <= 'z'
	}
	if !lower {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func foldRunes(name string) string {
	b := make([]rune, 0, len(name))
	for _, r := range name {
		b = append(b, minFold(r))
	}
	return string(b)
}

// minFold returns the smallest rune in r's case-folding orbit.
func minFold(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// next reads what follows a value in an array or object: a comma (more
// follows) or the closing bracket (done).
func (s *scanner) next(closing byte) (done bool, err error) {
	s.space()
	if s.i >= len(s.data) {
		return false, errSyntax
	}
	switch s.data[s.i] {
	case ',':
		s.i++
		return false, nil
	case closing:
		s.i++
		return true, nil
	}
	return false, errSyntax
}
