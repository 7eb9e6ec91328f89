package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// fileEntry is one file to scan.
type fileEntry struct {
	rel     string // slash-separated, relative to the root
	tracked bool   // in the git index
}

// tree is one scanned root and what is known about it.
type tree struct {
	arg   string // the root as the user named it
	dir   string // the root on disk
	git   bool   // the root is inside a git work tree
	files []fileEntry
}

// defaultExcludes are folders of installed third-party code: scanning them
// reports other people's code, and they are large.
var defaultExcludes = []string{".git/", "node_modules/", ".venv/", "venv/", "__pycache__/", ".tox/", "site-packages/", "bower_components/", ".mypy_cache/", ".pytest_cache/"}

// listTree finds the files to scan under root. In a git work tree git
// itself lists them, so .gitignore, .git/info/exclude and the global
// excludes file all apply exactly as they do for git, and tracked files are
// scanned even when a .gitignore matches them. Elsewhere the tree is walked
// and .gitignore files are honoured.
func listTree(ctx context.Context, arg string, exclude *ignoreList, walkOnly bool) (*tree, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	t := &tree{arg: arg, dir: arg}
	if !fi.IsDir() {
		// A single file: scan it as the root's only file.
		t.dir = filepath.Dir(arg)
		t.files = []fileEntry{{rel: filepath.ToSlash(filepath.Base(arg))}}
		t.arg = filepath.Dir(arg)
		return t, nil
	}
	if !walkOnly && isGitWorkTree(ctx, arg) && !isGitIgnored(ctx, arg) {
		t.git = true
		tracked, err := gitLines(ctx, arg, "ls-files", "-z", "--cached")
		if err != nil {
			return nil, err
		}
		others, err := gitLines(ctx, arg, "ls-files", "-z", "--others", "--exclude-standard")
		if err != nil {
			return nil, err
		}
		seen := make(map[string]bool, len(tracked))
		for _, rel := range tracked {
			if !seen[rel] && !exclude.matchPath(rel) {
				seen[rel] = true
				t.files = append(t.files, fileEntry{rel: rel, tracked: true})
			}
		}
		for _, rel := range others {
			if !seen[rel] && !exclude.matchPath(rel) {
				seen[rel] = true
				t.files = append(t.files, fileEntry{rel: rel})
			}
		}
		sort.Slice(t.files, func(i, j int) bool { return t.files[i].rel < t.files[j].rel })
		return t, nil
	}
	err = walkIgnoring(ctx, arg, exclude, func(rel string) {
		t.files = append(t.files, fileEntry{rel: rel})
	})
	return t, err
}

// walkIgnoring walks dir, skipping what .gitignore files and exclude name,
// and calls fn with every regular file. Symbolic links are not followed.
func walkIgnoring(ctx context.Context, dir string, exclude *ignoreList, fn func(rel string)) error {
	ign := &ignoreList{}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // a folder vanished or is unreadable: reported when its files fail to read
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." {
				if ign.match(rel, true) || exclude.match(rel, true) {
					return filepath.SkipDir
				}
			}
			if data, err := os.ReadFile(filepath.Join(p, ".gitignore")); err == nil {
				base := rel
				if base == "." {
					base = ""
				}
				ign.addFile(base, data)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if ign.match(rel, false) || exclude.match(rel, false) {
			return nil
		}
		fn(rel)
		return nil
	})
}

func isGitWorkTree(ctx context.Context, dir string) bool {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--is-inside-work-tree").Output()
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// isGitIgnored reports whether dir itself is ignored by the git work tree
// around it, as a build or benchmark folder often is. Such a tree is walked
// instead: a path the user names explicitly is never silently empty.
func isGitIgnored(ctx context.Context, dir string) bool {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-prefix").Output()
	prefix := strings.TrimSuffix(strings.TrimSpace(string(out)), "/")
	if err != nil || prefix == "" {
		return false
	}
	top, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return false
	}
	return exec.CommandContext(ctx, "git", "-C", strings.TrimSpace(string(top)), "check-ignore", "-q", prefix).Run() == nil
}

// gitLines runs git in dir and splits its NUL-separated output.
func gitLines(ctx context.Context, dir string, args ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "-c", "core.quotePath=false"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("git %s: %v %s", args[0], err, msg)
	}
	var lines []string
	for _, l := range bytes.Split(out, []byte{0}) {
		if len(l) > 0 {
			lines = append(lines, string(l))
		}
	}
	return lines, nil
}

// newExcludes builds the exclude list from the defaults and the user's
// patterns.
func newExcludes(patterns []string) *ignoreList {
	l := &ignoreList{}
	for _, p := range defaultExcludes {
		l.add("", p)
	}
	for _, p := range patterns {
		l.add("", p)
	}
	return l
}

// displayPath joins a root as the user named it with a relative path, so
// that output paths can be opened from where the command ran.
func displayPath(arg, rel string) string {
	a := filepath.ToSlash(filepath.Clean(arg))
	if a == "." {
		return rel
	}
	return path.Join(a, rel)
}

var errNotText = errors.New("binary file")
