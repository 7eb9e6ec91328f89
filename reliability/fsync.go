package main

// The order of an event's fsync and its 2xx, read from strace.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// fsyncOrder runs paywarden under strace, on SQLite, serving plain HTTP (as
// behind a TLS-terminating proxy) so that the answer's bytes can be read in
// the trace, and sends events one at a time. For each event the trace must
// show, in this order: the read of the request carrying its id, a completed
// fsync or fdatasync of the database or its WAL, and the write of
// "HTTP/1.1 200" on the same socket.
func fsyncOrder(ctx context.Context, s *suite, r *result) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		r.skipf("strace is not installed (apt-get install strace)")
		return
	}
	dir, err := s.caseDir("fsync-order")
	if err != nil {
		r.failf("%v", err)
		return
	}
	db := filepath.Join(dir, "paywarden.db")
	e, err := s.newEnv(dir, "sqlite:"+db)
	if err != nil {
		r.failf("%v", err)
		return
	}
	// The secrets go in the environment here, not in files: strace prints
	// what is read, and execve is not traced.
	key, _ := os.ReadFile(e.vars["STRIPE_SECRET_KEY_FILE"])
	e = e.with("PAYWARDEN_TLS_TERMINATED_UPSTREAM", "true").with("STRIPE_SECRET_KEY_FILE", "").with("STRIPE_WEBHOOK_SECRET_FILE", "").
		with("STRIPE_SECRET_KEY", string(key)).with("STRIPE_WEBHOOK_SECRET", e.secret)
	trace := filepath.Join(dir, "strace.out")
	p, err := s.serve(ctx, dir, e, strace, "-f", "-y", "-s", "4096", "-o", trace,
		"-e", "trace=read,recvfrom,write,writev,sendto,sendmsg,pwrite64,fsync,fdatasync,sync_file_range")
	if err != nil {
		if strings.Contains(err.Error(), "ptrace") || strings.Contains(err.Error(), "Operation not permitted") {
			r.skipf("strace cannot trace here: %v", err)
			return
		}
		r.failf("%v", err)
		return
	}
	n := pick(s.cfg.short, 10, 40)
	l := newLedger(5, 0)
	c := newClient(30*time.Second, 1)
	var ids []string
	for range n {
		id, body := l.next(false)
		a := send(ctx, c, p.URL, e.secret, body)
		l.record(ctx, id, a)
		if a.err != nil || a.status != 200 || !a.created {
			r.failf("%s: status %d, new %v, %v", id, a.status, a.created, a.err)
			continue
		}
		ids = append(ids, id)
	}
	if err := p.stop(); err != nil {
		r.failf("serve under strace after SIGTERM: %v", err)
	}
	ok, syncs, err := checkTrace(trace, ids, filepath.Base(db))
	if err != nil {
		r.failf("reading the trace: %v", err)
		return
	}
	for _, id := range ids {
		if msg, bad := ok[id]; bad {
			r.failf("%s: %s", id, msg)
		}
	}
	r.figures = fmt.Sprintf("%d events sent one at a time, %d answered 200; fsync of %s completed before the 200 was written for %d of %d; %d database syncs in the trace",
		n, len(ids), filepath.Base(db)+"{,-wal}", len(ids)-len(ok), len(ids), syncs)
}

var (
	// 1234 read(9<TCP:[127.0.0.1:8443->127.0.0.1:5555]>, "POST ...", 4096) = 812
	// The file of a socket is TCP:[a->b], which holds a '>'.
	straceLine = regexp.MustCompile(`^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\((\d+)<((?:TCP|TCPv6|UNIX)[^\]]*\]|[^>]*)>)`)
)

// checkTrace reads an strace -f -y output and returns, for each id whose
// order is wrong, what is wrong, and the number of database syncs.
func checkTrace(path string, ids []string, dbName string) (map[string]string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	type pend struct {
		call, file, text string
		at               int
	}
	unfinished := map[string]pend{} // by pid
	var syncAt []int                // lines where a database sync completed
	reqAt := map[string]int{}       // id -> line of its request's read
	reqFD := map[string]string{}    // id -> socket of its request
	answered := map[string]bool{}
	bad := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for i := 0; sc.Scan(); i++ {
		line := sc.Text()
		m := straceLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		// A call another thread interrupted is split in two lines: its
		// arguments (a write's data) on the first, its result (a read's
		// data) on the second. It started at the first, ended at the second.
		pid, call, file, text, started := m[1], m[3], m[5], line, i
		if m[2] != "" {
			pd := unfinished[pid]
			delete(unfinished, pid)
			call, file, text, started = pd.call, pd.file, pd.text+line, pd.at
		} else if strings.Contains(line, "<unfinished ...>") {
			unfinished[pid] = pend{call, file, line, i}
			continue
		}
		isDB := strings.HasSuffix(file, "/"+dbName) || strings.HasSuffix(file, "/"+dbName+"-wal")
		switch call {
		case "fsync", "fdatasync":
			if isDB && strings.HasSuffix(strings.TrimSpace(line), "= 0") {
				syncAt = append(syncAt, i)
			}
		case "read", "recvfrom":
			if !isSocket(file) {
				continue
			}
			for _, id := range ids {
				if _, seen := reqAt[id]; !seen && strings.Contains(text, id) {
					reqAt[id], reqFD[id] = i, file
				}
			}
		case "write", "writev", "sendto", "sendmsg":
			if !isSocket(file) || !strings.Contains(text, "HTTP/1.1 200") {
				continue
			}
			// The answer belongs to the oldest unanswered request on this
			// socket: the client sends one request at a time. The sync
			// must have completed before the write started.
			for _, id := range ids {
				if at, ok := reqAt[id]; ok && !answered[id] && reqFD[id] == file {
					answered[id] = true
					if !slices.ContainsFunc(syncAt, func(l int) bool { return at < l && l < started }) {
						bad[id] = fmt.Sprintf("no completed fsync of %s between its request (trace line %d) and its 200 (line %d)", dbName, at+1, started+1)
					}
					break
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	for _, id := range ids {
		if _, ok := reqAt[id]; !ok {
			bad[id] = "its request is not in the trace"
		} else if !answered[id] {
			bad[id] = "its 200 is not in the trace"
		}
	}
	return bad, len(syncAt), nil
}

// isSocket reports whether an strace -y file annotation is a socket.
func isSocket(file string) bool {
	return strings.HasPrefix(file, "socket:") || strings.HasPrefix(file, "TCP")
}
