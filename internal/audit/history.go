package audit

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// histBlob is a blob in git history and the first commit that added it.
type histBlob struct {
	sha, commit, path string
}

// scanHistory scans every blob ever committed in the trees for secrets and
// committed .env files. Each blob is read once, with the first commit that
// added it; later commits that keep a blob unchanged add nothing.
func scanHistory(ctx context.Context, trees []*tree, opts Options) ([]Finding, error) {
	if !opts.Rules.family(FamilySecrets) && !opts.Rules.Has("webhook-secret-hardcoded") {
		return nil, nil
	}
	var all []Finding
	for _, t := range trees {
		if !t.git {
			return all, fmt.Errorf("%s: not a git work tree, history not scanned", t.arg)
		}
		blobs, err := historyBlobs(ctx, t.dir)
		if err != nil {
			return all, fmt.Errorf("%s: history: %w", t.arg, err)
		}
		excl := newExcludes(opts.Exclude)
		var keep []histBlob
		for _, b := range blobs {
			if !excl.matchPath(b.path) && !skippedExt[filepathExt(b.path)] {
				keep = append(keep, b)
			}
		}
		err = readBlobs(ctx, t.dir, keep, func(b histBlob, data []byte) {
			if isBinary(data) {
				return
			}
			f := &fileCtx{tree: t, rel: b.path, data: data, tracked: true, rules: opts.Rules, commit: b.commit}
			f.lang = langOf(b.path)
			f.test = isTestPath(b.path)
			if mayHoldSecret(data) {
				var src *source
				if f.lang.isCode() && len(data) <= maxCodeSize {
					src = newSource(b.path, f.lang, data)
				}
				checkSecrets(f, src)
			}
			checkEnvFile(f)
			for i := range f.findings {
				f.findings[i].fromHistory = true
			}
			all = append(all, f.findings...)
		})
		if err != nil {
			return all, fmt.Errorf("%s: history: %w", t.arg, err)
		}
	}
	return all, nil
}

// historyBlobs lists every blob added or modified in any commit reachable
// from any ref, oldest commit first, each with the first commit that
// introduced it.
func historyBlobs(ctx context.Context, dir string) ([]histBlob, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "-c", "core.quotePath=false", "log", "--all", "--reverse", "--date-order",
		"--no-renames", "--diff-filter=AM", "--raw", "--no-abbrev", "--relative", "-z", "--format=%x01%H")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git log: %v", err)
	}
	var blobs []histBlob
	seen := map[string]bool{}
	commit := ""
	toks := bytes.Split(out, []byte{0})
	for i := 0; i < len(toks); i++ {
		tok := strings.TrimLeft(string(toks[i]), "\n")
		switch {
		case strings.HasPrefix(tok, "\x01"):
			commit = tok[1:]
		case strings.HasPrefix(tok, ":") && i+1 < len(toks):
			i++
			f := strings.Fields(tok)
			if len(f) < 5 || (f[1] != "100644" && f[1] != "100755") {
				continue
			}
			sha := f[3]
			if seen[sha] {
				continue
			}
			seen[sha] = true
			blobs = append(blobs, histBlob{sha: sha, commit: commit, path: string(toks[i])})
		}
	}
	return blobs, nil
}

// readBlobs streams blobs through one git cat-file --batch process.
func readBlobs(ctx context.Context, dir string, blobs []histBlob, fn func(histBlob, []byte)) error {
	if len(blobs) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "cat-file", "--batch")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		w := bufio.NewWriter(in)
		for _, b := range blobs {
			fmt.Fprintln(w, b.sha)
		}
		w.Flush()
		in.Close()
	}()
	r := bufio.NewReaderSize(outPipe, 1<<16)
	var buf []byte
	var readErr error
	for _, b := range blobs {
		header, err := r.ReadString('\n')
		if err != nil {
			readErr = err
			break
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			continue // "<sha> missing"
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			readErr = fmt.Errorf("cat-file header %q", header)
			break
		}
		if cap(buf) < size+1 {
			buf = make([]byte, size+1)
		}
		buf = buf[:size+1] // the content and its trailing newline
		if _, err := io.ReadFull(r, buf); err != nil {
			readErr = err
			break
		}
		if size <= maxFileSize {
			fn(b, buf[:size])
		}
	}
	io.Copy(io.Discard, outPipe)
	if err := cmd.Wait(); err != nil && readErr == nil {
		readErr = err
	}
	return readErr
}

// mergeHistory folds history findings into the work tree's: a secret still
// in the work tree is reported there, marked with the commit that first
// added it (under any path); one that only history holds is reported once,
// for the first blob that held it.
func mergeHistory(work, hist []Finding) []Finding {
	key := func(f *Finding) string { return f.treeArg + "\x00" + f.RuleID + "\x00" + f.relPath + "\x00" + f.anchor }
	first := map[string]*Finding{}
	var order []string
	for i := range hist {
		k := key(&hist[i])
		if _, ok := first[k]; !ok {
			first[k] = &hist[i]
			order = append(order, k)
		}
	}
	// A secret copied to a new path was still first added with the old one.
	firstAnywhere := map[string]*Finding{}
	for i := range hist {
		k := hist[i].treeArg + "\x00" + hist[i].anchor
		if _, ok := firstAnywhere[k]; !ok && hist[i].Secret != nil {
			firstAnywhere[k] = &hist[i]
		}
	}
	used := map[string]bool{}
	for i := range work {
		if h, ok := first[key(&work[i])]; ok {
			work[i].Commit = h.Commit
			used[key(&work[i])] = true
		} else if h, ok := firstAnywhere[work[i].treeArg+"\x00"+work[i].anchor]; ok && work[i].Secret != nil {
			work[i].Commit = h.Commit
		}
	}
	for _, k := range order {
		if used[k] {
			continue
		}
		h := *first[k]
		h.Message = "In git history: " + h.Message
		work = append(work, h)
	}
	return work
}
