package main

// Helpers of the end-to-end tests: secrets made at run time, paywarden run
// in-process or as a built binary, a fake Stripe API, and signed events.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripesig"
)

// Secrets are made at run time so that no key-shaped string is ever in a
// tracked file: the prefixes are split.
const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randAlnum(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

func newTestKey() string       { return "sk_" + "test_" + randAlnum(32) }
func newLiveKey() string       { return "sk_" + "live_" + randAlnum(32) }
func newWebhookSecret() string { return "whsec_" + randAlnum(32) }

// syncBuffer is a bytes.Buffer that goroutines may write to at once, as a
// server's logger does.
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

// getenvOf returns a getenv reading only m.
func getenvOf(m map[string]string) func(string) string {
	m = maps.Clone(m)
	return func(k string) string { return m[k] }
}

// runCmd runs `paywarden ARGS` in-process with the environment env and
// returns stdout, stderr and the exit code. A serve that starts listening
// is stopped at once (its ctx is cancelled), so a refusal that does not
// happen shows as exit 0 instead of a hang; started reports whether it did.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int, started bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	w := &servingWriter{w: &out, serving: make(chan string, 1)}
	done := make(chan int, 1)
	go func() {
		err := run(ctx, args, getenvOf(env), strings.NewReader(""), w, &errOut)
		done <- report(&errOut, err)
	}()
	select {
	case code = <-done:
	case <-w.serving:
		started = true
		cancel()
		code = waitDone(t, done)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("paywarden %v neither exited nor started serving in 60s; stderr:\n%s", args, errOut.String())
	}
	return out.String(), errOut.String(), code, started
}

func waitDone(t *testing.T, done <-chan int) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(60 * time.Second):
		t.Fatal("paywarden did not stop within 60s of its context being cancelled")
		return -1
	}
}

// servingWriter passes writes on to w and sends the first "serving ..."
// line that serve prints, once listening.
type servingWriter struct {
	w       io.Writer
	mu      sync.Mutex
	line    []byte
	sent    bool
	serving chan string
}

func (s *servingWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sent {
		s.line = append(s.line, p...)
		for {
			i := bytes.IndexByte(s.line, '\n')
			if i < 0 {
				break
			}
			l := string(s.line[:i])
			s.line = s.line[i+1:]
			if strings.HasPrefix(l, "serving ") {
				s.sent = true
				s.serving <- l
				break
			}
		}
	}
	return s.w.Write(p)
}

// parseServing returns the URLs of a "serving URL (admin URL)" line.
func parseServing(t *testing.T, line string) (url, admin string) {
	t.Helper()
	if _, err := fmt.Sscanf(line, "serving %s (admin %s", &url, &admin); err != nil {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	return url, strings.TrimSuffix(admin, ")")
}

// inproc is `paywarden serve` running in-process.
type inproc struct {
	URL, Admin     string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
	stopped        bool
	code           int
}

// startServe runs `paywarden serve ARGS` in-process with env and returns
// once it listens. It is stopped when t ends, if not before.
func startServe(t *testing.T, env map[string]string, args ...string) *inproc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &inproc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	w := &servingWriter{w: s.stdout, serving: make(chan string, 1)}
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), getenvOf(env), strings.NewReader(""), w, s.stderr)
		s.done <- report(s.stderr, err)
	}()
	select {
	case line := <-w.serving:
		s.URL, s.Admin = parseServing(t, line)
	case code := <-s.done:
		cancel()
		t.Fatalf("serve exited with %d before serving; stderr:\n%s", code, s.stderr.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("serve did not listen within 60s; stderr:\n%s", s.stderr.String())
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels serve's context, as SIGTERM does, and returns its exit code.
func (s *inproc) stop(t *testing.T) int {
	t.Helper()
	if !s.stopped {
		s.cancel()
		s.code = waitDone(t, s.done)
		s.stopped = true
	}
	return s.code
}

// devEnv returns the environment of a development serve on a new SQLite
// database in dir, listening on loopback ports chosen by the kernel, with a
// fresh test-mode key and webhook secret.
func devEnv(dir, stripeBase string) map[string]string {
	return map[string]string{
		"PAYWARDEN_ENV":               "development",
		"STRIPE_SECRET_KEY":           newTestKey(),
		"STRIPE_WEBHOOK_SECRET":       newWebhookSecret(),
		"PAYWARDEN_DATABASE_URL":      "sqlite:" + filepath.Join(dir, "paywarden.db"),
		"PAYWARDEN_ADDR":              "127.0.0.1:0",
		"PAYWARDEN_ADMIN_ADDR":        "127.0.0.1:0",
		"PAYWARDEN_STRIPE_API_BASE":   stripeBase,
		"PAYWARDEN_STRIPE_RATE_LIMIT": "1000",
	}
}

// httpClient talks to the servers the tests start: their certificates are
// self-signed, made at start, and every address is loopback.
var httpClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
		MaxIdleConnsPerHost: 16,
	},
}

// fakeStripe answers the Stripe API calls paywarden makes: GETs of objects
// (re-fetches of money-moving objects and ties) and the balance call that
// verifies a new key. It serves the current state of each object, set by
// the test, and checks that every call carries the pinned API version and
// one of the keys it accepts.
type fakeStripe struct {
	*httptest.Server
	mu       sync.Mutex
	objects  map[string][]byte // by path, as /v1/payment_intents/pi_1
	keys     map[string]bool
	gets     map[string]int
	held     map[string]chan struct{}
	badCalls atomic.Int64
	// echo makes every refusal quote the key it was given, as a hostile or
	// careless upstream might, to prove that paywarden never logs it.
	echo bool
}

func newFakeStripe(t *testing.T) *fakeStripe {
	f := &fakeStripe{objects: map[string][]byte{}, keys: map[string]bool{}, gets: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeStripe) setEcho(echo bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.echo = echo
}

func (f *fakeStripe) allowKey(k string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[k] = true
}

func (f *fakeStripe) setObject(path string, obj any) {
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[path] = b
}

// hold makes GETs of path wait, unanswered, until the caller gives up;
// the channel returned is closed when the first arrives.
func (f *fakeStripe) hold(path string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held == nil {
		f.held = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.held[path] = ch
	return ch
}

func (f *fakeStripe) getCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[path]
}

func (f *fakeStripe) serve(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	okKey := f.keys[key]
	obj, found := f.objects[r.URL.Path]
	f.gets[r.URL.Path]++
	echo := f.echo
	arrived, held := f.held[r.URL.Path]
	if held {
		delete(f.held, r.URL.Path)
	}
	f.mu.Unlock()
	if held {
		close(arrived)
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_"+randAlnum(14))
	if r.Header.Get("Stripe-Version") != stripe.APIVersion {
		f.badCalls.Add(1)
	}
	if !okKey {
		w.WriteHeader(http.StatusUnauthorized)
		msg := "Invalid API Key provided."
		if echo {
			msg = "Invalid API Key provided: " + key
		}
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": msg}})
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/balance":
		io.WriteString(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
	case r.Method == http.MethodGet && found:
		w.Write(obj)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such object."}}`)
	}
}

// event is a Stripe event as a test builds it.
type event struct {
	ID         string
	Type       string
	Created    int64
	APIVersion string
	Livemode   bool
	Object     map[string]any
}

func (e event) body() []byte {
	v := e.APIVersion
	if v == "" {
		v = stripe.APIVersion
	}
	b, err := json.Marshal(map[string]any{
		"id": e.ID, "object": "event", "type": e.Type, "created": e.Created,
		"livemode": e.Livemode, "api_version": v, "pending_webhooks": 1,
		"data": map[string]any{"object": e.Object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// customerEvent returns a customer.updated event carrying version n of
// customer id, created at base+n seconds: the versions order by created.
func customerEvent(id string, n int, base int64) event {
	return event{
		ID: "evt_" + randAlnum(24), Type: "customer.updated", Created: base + int64(n),
		Object: map[string]any{
			"id": id, "object": "customer", "email": fmt.Sprintf("v%d@example.com", n),
			"created": base, "livemode": false, "metadata": map[string]string{"version": fmt.Sprint(n)},
		},
	}
}

// postEvent posts body to the webhook receiver at base, signed with secret
// now, and returns the status and body of the answer.
func postEvent(base, secret string, body []byte) (int, string, error) {
	return postWebhook(base+"/webhooks/stripe", stripesig.Sign(body, paywarden.NewSecret(secret), time.Now()), body)
}

func postWebhook(url, signature string, body []byte) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// postWebhookChunked posts body signed with secret without a
// Content-Length, so that the server learns its size only by reading it.
func postWebhookChunked(url, secret string, body []byte) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, url, io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Stripe-Signature", stripesig.Sign(body, paywarden.NewSecret(secret), time.Now()))
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// eventually polls cond every 20ms until it returns nil or the deadline
// passes, then fails with cond's last error. For effects that are
// asynchronous by design, such as the workers processing stored events.
func eventually(t *testing.T, d time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The paywarden binary, built once per test run for the tests that must
// kill a real process.
var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

func paywardenBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "paywarden-e2e-")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "paywarden")
		goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		out, err := exec.Command(goBin, "build", "-o", buildPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// proc is `paywarden serve` running as a child process.
type proc struct {
	cmd        *exec.Cmd
	URL, Admin string
	stderr     *syncBuffer
	waited     chan struct{}
	waitErr    error
}

// startProc starts the built binary as `paywarden serve` with exactly the
// environment env (and PATH), in dir, and returns once it listens.
func startProc(t *testing.T, dir string, env map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(paywardenBinary(t), "serve")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, waited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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
	t.Cleanup(func() { p.kill() })
	select {
	case line, ok := <-lines:
		if !ok {
			<-p.waited
			t.Fatalf("serve exited before serving: %v; stderr:\n%s", p.waitErr, p.stderr.String())
		}
		p.URL, p.Admin = parseServing(t, line)
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatalf("serve did not listen within 60s; stderr:\n%s", p.stderr.String())
	}
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.waited
}

// signal sends sig and waits up to a minute for the process to exit.
func (p *proc) signalAndWait(t *testing.T, sig os.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.waited:
		return p.waitErr
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatalf("serve did not exit within 60s of %v; stderr:\n%s", sig, p.stderr.String())
		return nil
	}
}
