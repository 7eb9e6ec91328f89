package config

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// readDotEnv reads a .env file: KEY=VALUE lines, optionally prefixed by
// "export ", values optionally in single or double quotes, # comments and
// blank lines ignored. A missing file is no error: it is optional.
// Errors name the file and line, never a value.
func readDotEnv(p string) (map[string]string, []string, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, fmt.Errorf(".env file %s: %v", p, unwrapPath(err))
	}
	defer f.Close()
	values := map[string]string{}
	var problems []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\"'") {
			problems = append(problems, fmt.Sprintf(".env file %s line %d: want NAME=value", p, n))
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		values[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf(".env file %s: %v", p, err)
	}
	return values, problems, nil
}

// gitIgnored reports whether a .gitignore in the file's directory, or in a
// directory above it up to the repository root, ignores the file. It
// understands the common forms (.env, /.env, .env*, *.env, **/.env and
// negations), not all of gitignore; when in doubt it says no, which only
// costs a warning.
func gitIgnored(file string) bool {
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	dir := filepath.Dir(abs)
	for d := dir; ; d = filepath.Dir(d) {
		rel, err := filepath.Rel(d, abs)
		if err != nil {
			return false
		}
		if ignored, decided := matchGitignore(filepath.Join(d, ".gitignore"), filepath.ToSlash(rel)); decided {
			return ignored
		}
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil || d == filepath.Dir(d) {
			return false
		}
	}
}

// matchGitignore applies one .gitignore to rel, a slash path relative to
// the .gitignore's directory. The last matching line decides.
func matchGitignore(gitignore, rel string) (ignored, decided bool) {
	data, err := os.ReadFile(gitignore)
	if err != nil {
		return false, false
	}
	base := path.Base(rel)
	for _, line := range strings.Split(string(data), "\n") {
		pat := strings.TrimSpace(line)
		if pat == "" || strings.HasPrefix(pat, "#") || strings.HasSuffix(pat, "/") {
			continue
		}
		neg := strings.HasPrefix(pat, "!")
		pat = strings.TrimPrefix(pat, "!")
		pat = strings.TrimPrefix(pat, "**/")
		var ok bool
		if strings.Contains(strings.TrimPrefix(pat, "/"), "/") || strings.HasPrefix(pat, "/") {
			ok, _ = path.Match(strings.TrimPrefix(pat, "/"), rel)
		} else {
			ok, _ = path.Match(pat, base)
		}
		if ok {
			ignored, decided = !neg, true
		}
	}
	return ignored, decided
}
