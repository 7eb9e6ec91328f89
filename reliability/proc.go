package main

// The suite's fixtures: the built binary, a stand-in for the Stripe API,
// secrets in files, PostgreSQL schemas, and `paywarden serve` processes.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// suite holds what every case shares.
type suite struct {
	cfg      config
	dir      string // work directory, removed at the end unless -keep
	bin      string
	stripe   *httptest.Server
	mu       sync.Mutex
	cleanups []func()
}

func newSuite(ctx context.Context, c config) (*suite, error) {
	dir, err := os.MkdirTemp("", "paywarden-reliability-")
	if err != nil {
		return nil, err
	}
	s := &suite{cfg: c, dir: dir}
	s.logf("work directory %s; building paywarden", dir)
	if s.bin, err = buildBinary(ctx, dir); err != nil {
		s.close()
		return nil, err
	}
	s.stripe = httptest.NewServer(http.HandlerFunc(fakeStripe))
	return s, nil
}

// fakeStripe answers the calls paywarden makes of Stripe in these runs: the
// balance call that proves a key; everything else is not found. The cases
// send customer.updated events, which workers mirror without a re-fetch.
func fakeStripe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodGet && r.URL.Path == "/v1/balance" {
		io.WriteString(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
		return
	}
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such object."}}`)
}

// defer_ registers f to run when the suite closes, last first.
func (s *suite) defer_(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

func (s *suite) close() {
	s.mu.Lock()
	fs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	if s.stripe != nil {
		s.stripe.Close()
	}
	if s.cfg.keep {
		s.logf("kept %s", s.dir)
		return
	}
	os.RemoveAll(s.dir)
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// caseDir returns a new directory for one case, 0700.
func (s *suite) caseDir(name string) (string, error) {
	return os.MkdirTemp(s.dir, name+"-")
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randAlnum(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// env is the environment of one deployment under test.
type env struct {
	vars   map[string]string
	secret string // the webhook signing secret, to sign events
}

// newEnv returns a development environment on database dbURL, listening on
// loopback ports the kernel chooses, with a fresh test-mode key and webhook
// secret in 0600 files under dir (the *_FILE form operators use). The
// prefixes are split so that no key-shaped string is in this file.
func (s *suite) newEnv(dir, dbURL string) (*env, error) {
	key := "sk_" + "test_" + randAlnum(32)
	secret := "whsec_" + randAlnum(32)
	keyFile := filepath.Join(dir, "stripe_secret_key")
	secretFile := filepath.Join(dir, "stripe_webhook_secret")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		return nil, err
	}
	return &env{secret: secret, vars: map[string]string{
		"PAYWARDEN_ENV":               "development",
		"STRIPE_SECRET_KEY_FILE":      keyFile,
		"STRIPE_WEBHOOK_SECRET_FILE":  secretFile,
		"PAYWARDEN_DATABASE_URL":      dbURL,
		"PAYWARDEN_ADDR":              "127.0.0.1:0",
		"PAYWARDEN_ADMIN_ADDR":        "127.0.0.1:0",
		"PAYWARDEN_STRIPE_API_BASE":   s.stripe.URL,
		"PAYWARDEN_STRIPE_RATE_LIMIT": "1000",
		"PAYWARDEN_LOG_LEVEL":         "warn",
	}}, nil
}

// with returns a copy of e with k set to v, or unset when v is "".
func (e *env) with(k, v string) *env {
	c := &env{secret: e.secret, vars: maps.Clone(e.vars)}
	if v == "" {
		delete(c.vars, k)
	} else {
		c.vars[k] = v
	}
	return c
}

func (e *env) list(dir string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	return out
}

// command runs `paywarden ARGS` to completion (migrate, events replay).
func (s *suite) command(ctx context.Context, dir string, e *env, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir = dir
	cmd.Env = e.list(dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("paywarden %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// server is `paywarden serve` running as a child process.
type server struct {
	cmd     *exec.Cmd
	URL     string
	stderr  *syncBuffer
	waited  chan struct{}
	waitErr error
	started time.Duration // from exec to listening
	pid     int           // paywarden's own pid (not a wrapper's)
}

// serve starts `paywarden serve` in dir with e, behind the wrapper argv
// (strace) if any, and returns once it listens. It is killed when the suite
// closes, if not before.
func (s *suite) serve(ctx context.Context, dir string, e *env, wrapper ...string) (*server, error) {
	return s.serveBin(ctx, dir, e, s.bin, wrapper...)
}

// serveBin is serve with another binary (the release build, in a chroot).
func (s *suite) serveBin(ctx context.Context, dir string, e *env, bin string, wrapper ...string) (*server, error) {
	argv := append(append([]string{}, wrapper...), bin, "serve")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = e.list(dir)
	p := &server{cmd: cmd, stderr: &syncBuffer{}, waited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.defer_(p.kill)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if !sent && strings.HasPrefix(sc.Text(), "serving ") {
				lines <- sc.Text()
				sent = true
			}
		}
		if !sent {
			close(lines)
		}
		p.waitErr = cmd.Wait()
		close(p.waited)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			<-p.waited
			return nil, fmt.Errorf("serve exited before listening: %v: %s", p.waitErr, lastLines(p.stderr.String(), 3))
		}
		p.started = time.Since(t0)
		if _, err := fmt.Sscanf(line, "serving %s", &p.URL); err != nil {
			p.kill()
			return nil, fmt.Errorf("serve printed %q", line)
		}
	case <-time.After(90 * time.Second):
		p.kill()
		return nil, fmt.Errorf("serve did not listen within 90s: %s", lastLines(p.stderr.String(), 3))
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
	p.pid = cmd.Process.Pid
	if len(wrapper) > 0 {
		p.pid = childOf(cmd.Process.Pid)
	}
	return p, nil
}

// childOf returns the first child of pid (paywarden under strace).
func childOf(pid int) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	return pid
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *server) kill() {
	p.cmd.Process.Kill()
	<-p.waited
}

// stop sends SIGTERM to paywarden and waits up to a minute for it to exit.
func (p *server) stop() error {
	if err := syscall.Kill(p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case <-p.waited:
		return p.waitErr
	case <-time.After(time.Minute):
		p.kill()
		return errors.New("serve did not exit within a minute of SIGTERM")
	}
}

// rss returns paywarden's resident and peak resident memory, in bytes.
func (p *server) rss() (cur, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = n << 10
		case "VmHWM:":
			peak = n << 10
		}
	}
	return cur, peak
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// syncBuffer is a bytes.Buffer that goroutines may write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pgSchema makes a fresh schema on the PostgreSQL at s.cfg.pgURL and returns
// a URL whose search_path is it; the schema is dropped when the suite
// closes. As internal/postgres.TestURL does for tests.
func (s *suite) pgSchema(ctx context.Context) (string, error) {
	if s.cfg.pgURL == "none" {
		return "", errors.New("-pg-url none")
	}
	conn, err := pgx.Connect(ctx, s.cfg.pgURL)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL at %s is not reachable: %v", redactURL(s.cfg.pgURL), err)
	}
	defer conn.Close(ctx)
	schema := "pwrel_" + strings.ToLower(randAlnum(12))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return "", err
	}
	s.defer_(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, s.cfg.pgURL); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			c.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(s.cfg.pgURL, "?") {
		sep = "&"
	}
	return s.cfg.pgURL + sep + "search_path=" + schema, nil
}

// redactURL drops the password of a database URL for messages.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.Index(u[i+3:], "@"); j >= 0 {
			if k := strings.Index(u[i+3:i+3+j], ":"); k >= 0 {
				return u[:i+3+k] + ":xxxxx" + u[i+3+j:]
			}
		}
	}
	return u
}
