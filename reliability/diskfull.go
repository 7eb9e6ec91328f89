package main

// A full disk, and twice the capacity.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// diskFull puts the SQLite database on a tmpfs of a few MiB and sends
// padded events until the disk is full and paywarden has answered 503 a
// while. Every answer must be 200 or 503 (never a dropped connection or a
// 500); after the tmpfs is grown, paywarden must take events again without
// a restart; after a SIGTERM, every event answered 200 is in the database
// and the database is intact.
func diskFull(ctx context.Context, s *suite, r *result) {
	dir, err := s.caseDir("disk-full")
	if err != nil {
		r.failf("%v", err)
		return
	}
	mnt := filepath.Join(dir, "data")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		r.failf("%v", err)
		return
	}
	const small, large = "4m", "64m"
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", "size="+small+",mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		r.skipf("mount -t tmpfs refused (it needs root or CAP_SYS_ADMIN): %s", strings.TrimSpace(string(out)))
		return
	}
	s.defer_(func() { exec.Command("umount", "-l", mnt).Run() })
	dbURL := "sqlite:" + filepath.Join(mnt, "paywarden.db")
	e, err := s.newEnv(dir, dbURL)
	if err != nil {
		r.failf("%v", err)
		return
	}
	p, err := s.serve(ctx, dir, e)
	if err != nil {
		r.failf("%v", err)
		return
	}
	l := newLedger(25, 2000)
	c := newClient(s.cfg.timeout, 8)

	// Fill the disk: senders stop after 300 answers of 503, or 20,000
	// deliveries, or two minutes.
	fctx, stop := context.WithTimeout(ctx, 2*time.Minute)
	var full atomic.Int64
	var sent atomic.Int64
	var wg sync.WaitGroup
	var firstFull time.Duration
	var once sync.Once
	t0 := time.Now()
	for range 4 {
		wg.Go(func() {
			for fctx.Err() == nil && full.Load() < 300 && sent.Add(1) <= 20000 {
				id, body := l.next(false)
				a := send(fctx, c, p.URL, e.secret, body)
				l.record(fctx, id, a)
				if a.status == 503 {
					full.Add(1)
					once.Do(func() { firstFull = time.Since(t0) })
				}
			}
		})
	}
	wg.Wait()
	stop()
	_, _, statusFull, errsFull := l.counts()
	var st syscall.Statfs_t
	syscall.Statfs(mnt, &st)
	freeFull := st.Bavail * uint64(st.Bsize)
	for code, n := range statusFull {
		if code != 200 && code != 503 {
			r.failf("%d answers of %d while the disk filled: want 200 or 503", n, code)
		}
	}
	if errsFull > 0 {
		r.failf("%d deliveries got no answer while the disk filled (want a 503)", errsFull)
	}
	if full.Load() == 0 {
		r.failf("no 503 after %d deliveries: the disk never filled", sent.Load()-1)
	}
	health := getStatus(ctx, c, p.URL+"/healthz")

	// Room again: paywarden takes events without a restart.
	recovered := "no"
	if out, err := exec.CommandContext(ctx, "mount", "-o", "remount,size="+large, mnt).CombinedOutput(); err != nil {
		r.failf("growing the tmpfs: %s", strings.TrimSpace(string(out)))
	} else {
		for try := range 50 {
			id, body := l.next(false)
			a := send(ctx, c, p.URL, e.secret, body)
			l.record(ctx, id, a)
			if a.status == 200 {
				recovered = fmt.Sprintf("yes, after %d tries", try+1)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if recovered == "no" {
			r.failf("paywarden did not take events again once the disk had room")
		}
	}
	if err := p.stop(); err != nil {
		r.failf("serve after SIGTERM: %v", err)
	}
	path := strings.TrimPrefix(dbURL, "sqlite:")
	if err := integrity(path); err != nil {
		r.failf("%v", err)
	}
	store, err := openStore(ctx, dbURL)
	if err != nil {
		r.failf("%v", err)
		return
	}
	defer store.Close()
	stored := l.checkStored(ctx, store, r)
	acked, _, status, _ := l.counts()
	r.figures = fmt.Sprintf("tmpfs %s: first 503 after %s; while full: answers %s, %d unanswered, %d KiB free at the end, /healthz %d; "+
		"grown to %s: took events again: %s; %d acked, %d lost (all answers %s)",
		small, firstFull.Round(10*time.Millisecond), statusText(statusFull), errsFull, freeFull>>10, health,
		large, recovered, acked, lost(l, stored), statusText(status))
}

// getStatus returns the status of a GET of url, or 0 without an answer.
func getStatus(ctx context.Context, c *http.Client, url string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
