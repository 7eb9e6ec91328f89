package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
)

// listFake plays Stripe's list APIs for `paywarden sync`: n customers in
// pages of the requested size, every other mirrored type empty. It
// answers only the read key, and can hold one request unanswered.
type listFake struct {
	*httptest.Server
	readKey string
	ids     []string // newest first
	base    int64    // created of cus_0000

	mu       sync.Mutex
	requests []string // "path starting_after"
	holdN    int      // the request number to hold, 0 for none
	arrived  chan struct{}
}

func newListFake(t *testing.T, customers int) *listFake {
	f := &listFake{readKey: "rk_" + "test_" + randAlnum(32), arrived: make(chan struct{}),
		base: time.Now().Add(-24 * time.Hour).Unix()}
	for i := customers; i >= 1; i-- {
		f.ids = append(f.ids, fmt.Sprintf("cus_%04d", i))
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *listFake) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *listFake) hold(n int) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holdN = n
	return f.arrived
}

func (f *listFake) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.Path+" "+q.Get("starting_after"))
	held := len(f.requests) == f.holdN
	f.mu.Unlock()
	if held {
		close(f.arrived)
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); key != f.readKey {
		// Quoting the key, as a careless upstream might: paywarden must
		// not print it.
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": "invalid_request_error",
			"message": "Invalid API Key provided: " + key}})
		return
	}
	var ids []string
	if r.URL.Path == "/v1/customers" {
		ids = f.ids
	}
	if after := q.Get("starting_after"); after != "" {
		i := slices.Index(ids, after)
		if i < 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such object."}}`)
			return
		}
		ids = ids[i+1:]
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	data := []map[string]any{}
	for _, id := range ids {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "cus_"))
		data = append(data, map[string]any{"id": id, "object": "customer", "created": f.base + int64(n), "livemode": false,
			"email": id + "@example.com"})
	}
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "url": r.URL.Path, "has_more": more, "data": data})
}

func syncEnv(dir string, f *listFake) map[string]string {
	env := devEnv(dir, f.URL)
	env["PAYWARDEN_READ_KEY"] = f.readKey
	return env
}

// TestSyncCommand runs `paywarden sync` in-process against the fake: 250
// customers in three pages, the summary table, a second run that skips
// the finished type, a restart that writes nothing, and usage errors.
func TestSyncCommand(t *testing.T) {
	dir := t.TempDir()
	f := newListFake(t, 250)
	env := syncEnv(dir, f)

	out, errOut, code, _ := runCmd(t, env, "sync", "--objects", "customers")
	if code != 0 {
		t.Fatalf("sync: exit %d; stderr:\n%s", code, errOut)
	}
	if !regexpMatch(`(?m)^ *customer +done +250 +250 +0 +0 +3 `, out) {
		t.Errorf("summary: got\n%s\nwant customer done, 250 listed and written in 3 pages", out)
	}
	if !strings.Contains(errOut, "sync starts") || !strings.Contains(errOut, "sync done") {
		t.Errorf("stderr (not a terminal): got %q, want log lines", errOut)
	}
	for _, secret := range []string{env["STRIPE_SECRET_KEY"], env["PAYWARDEN_READ_KEY"], env["STRIPE_WEBHOOK_SECRET"]} {
		if strings.Contains(out+errOut, secret) {
			t.Error("a secret was printed")
		}
	}
	want := []string{"/v1/customers ", "/v1/customers cus_0151", "/v1/customers cus_0051"}
	if got := f.log(); !slices.Equal(got, want) {
		t.Errorf("requests: got %v, want %v", got, want)
	}

	out, errOut, code, _ = runCmd(t, env, "sync", "--objects", "customer")
	if code != 0 || !regexpMatch(`(?m)^ *customer +already done +0 +0 +0 +0 +0 `, out) || len(f.log()) != 3 {
		t.Errorf("a second sync: exit %d, %d requests, output\n%s%s\nwant the type skipped without a request", code, len(f.log())-3, out, errOut)
	}

	out, errOut, code, _ = runCmd(t, env, "sync", "--objects", "customers", "--restart", "--format", "json")
	if code != 0 {
		t.Fatalf("sync --restart: exit %d; stderr:\n%s", code, errOut)
	}
	var sum syncSummaryJSON
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("sync --format json: %v\n%s", err, out)
	}
	if len(sum.Types) != 1 || !sum.Complete {
		t.Fatalf("sync --format json: got %+v", sum)
	}
	if r := sum.Types[0]; r.Type != "customer" || r.Status != "done" || r.Listed != 250 || r.Written != 0 || r.Unchanged != 250 || r.Pages != 3 {
		t.Errorf("a restarted sync of unchanged objects: got %+v, want 250 listed, none written", r)
	}

	// Every mirrored type is listed once when --objects is not given.
	n := len(f.log())
	if _, errOut, code, _ := runCmd(t, env, "sync", "--restart"); code != 0 {
		t.Fatalf("sync of every type: exit %d; stderr:\n%s", code, errOut)
	}
	if got := len(f.log()) - n; got != len(paywarden.MirroredTypes)+2 {
		t.Errorf("sync of every type: got %d requests, want %d (one per type, three for customers)", got, len(paywarden.MirroredTypes)+2)
	}

	// A rejected key stops the sync with one line that does not quote it.
	wrong := with(env, "PAYWARDEN_READ_KEY", "rk_"+"test_"+randAlnum(32))
	out, errOut, code, _ = runCmd(t, wrong, "sync", "--objects", "payouts", "--restart")
	if code != 1 || !strings.Contains(errOut, "rejected") || strings.Contains(out+errOut, wrong["PAYWARDEN_READ_KEY"]) {
		t.Errorf("sync with a rejected key: exit %d, stderr %q; want exit 1, a line saying the key was rejected, never the key", code, errOut)
	}
	if !regexpMatch(`(?m)^payout +stopped `, out) {
		t.Errorf("sync with a rejected key: summary\n%s\nwant payout stopped", out)
	}

	for _, args := range [][]string{
		{"sync", "--objects", "accounts"}, {"sync", "--since", "soon"}, {"sync", "--format", "xml"}, {"sync", "extra"},
	} {
		if _, errOut, code, _ := runCmd(t, env, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, code, errOut)
		}
	}
}

// TestSyncKill9 kills the real binary with SIGKILL while its second page
// is in flight, then runs it again: the second run starts after the first
// page, lists nothing twice, and the mirror ends with every customer. On
// SQLite and on PostgreSQL.
func TestSyncKill9(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		f := newListFake(t, 250)
		testSyncKill9(t, dir, f, syncEnv(dir, f))
	})
	t.Run("postgres", func(t *testing.T) {
		url := postgrestest.URL(t)
		dir := t.TempDir()
		f := newListFake(t, 250)
		testSyncKill9(t, dir, f, with(syncEnv(dir, f), "PAYWARDEN_DATABASE_URL", url))
	})
}

func testSyncKill9(t *testing.T, dir string, f *listFake, env map[string]string) {
	arrived := f.hold(2)

	cmd := syncProc(t, dir, env)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-arrived:
	case err := <-exited:
		t.Fatalf("sync exited before its second page: %v; stderr:\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("sync did not ask for a second page within 60s; stderr:\n%s", stderr.String())
	}
	cmd.Process.Kill()
	<-exited

	ctx := context.Background()
	db, err := openStore(ctx, env["PAYWARDEN_DATABASE_URL"], nil, true)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := db.SyncCursor(ctx, paywarden.ObjectCustomer)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Done || cur.LastID != "cus_0151" || cur.Listed != 100 || cur.Pages != 1 {
		t.Errorf("cursor after kill -9: got %+v, want after cus_0151, 100 listed in 1 page, not done", cur)
	}
	db.Close()

	cmd = syncProc(t, dir, env)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the second sync: %v; output:\n%s", err, out)
	}
	if !regexpMatch(`(?m)^ *customer +done \(resumed\) +150 +150 +0 +0 +2 `, string(out)) {
		t.Errorf("summary: got\n%s\nwant customer resumed, 150 listed and written in 2 pages", out)
	}
	want := []string{"/v1/customers ", "/v1/customers cus_0151", "/v1/customers cus_0151", "/v1/customers cus_0051"}
	if got := f.log(); !slices.Equal(got, want) {
		t.Errorf("requests: got %v, want %v", got, want)
	}
	db, err = openStore(ctx, env["PAYWARDEN_DATABASE_URL"], nil, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	objs, err := db.ListObjects(ctx, paywarden.MirrorFilter{Type: paywarden.ObjectCustomer, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.ID)
	}
	if !slices.Equal(got, f.ids) {
		t.Errorf("mirror: got %d customers, want all %d, newest first, no gap", len(got), len(f.ids))
	}
}

// syncProc returns the built binary as `paywarden sync --objects customers`
// with exactly env (and PATH), in dir.
func syncProc(t *testing.T, dir string, env map[string]string) *exec.Cmd {
	cmd := exec.Command(paywardenBinary(t), "sync", "--objects", "customers")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
