package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
	"github.com/paywarden/paywarden/internal/postgres"
	"github.com/paywarden/paywarden/internal/postgres/postgrestest"
	"github.com/paywarden/paywarden/internal/sqlite"
	"github.com/paywarden/paywarden/internal/stripeapi"
	"github.com/paywarden/paywarden/internal/stripeapi/stripemock"
)

var (
	mockURL string
	mockErr error
)

func TestMain(m *testing.M) {
	os.Exit(stripemock.RunTests(m, func(url string, err error) { mockURL, mockErr = url, err }))
}

// stripeKey is a Stripe test key made at run time: no key-shaped literal
// sits in the source.
var stripeKey = paywarden.NewSecret("sk_" + "test_" + strings.Repeat("k", 24))

// syncBuffer is a log sink that handlers write to concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is an API on a real SQLite file (or, from pgHarness, a
// PostgreSQL schema), reached over loopback HTTP.
type harness struct {
	t      *testing.T
	path   string
	pgURL  string // PostgreSQL instead of SQLite when set
	store  paywarden.Store
	api    *api.API
	srv    *httptest.Server
	log    *syncBuffer
	base   string // Stripe API base
	now    func() time.Time
	tokens []string // every token made, to check the log for

	// wrap, when set, puts a fault in front of the store the API uses.
	wrap func(paywarden.Store) api.Store
	reg  *prometheus.Registry // the API's metrics
}

func mockHarness(t *testing.T) *harness {
	t.Helper()
	if mockURL == "" {
		t.Skipf("stripe-mock could not be started: %v", mockErr)
	}
	return newHarness(t, mockURL, "")
}

// pgMockHarness is mockHarness on PostgreSQL; it skips t without
// PAYWARDEN_TEST_POSTGRES_URL.
func pgMockHarness(t *testing.T) *harness {
	t.Helper()
	if mockURL == "" {
		t.Skipf("stripe-mock could not be started: %v", mockErr)
	}
	return newStoreHarness(t, mockURL, "", postgrestest.URL(t))
}

// newHarness builds an API against the Stripe at base, on the SQLite file
// at path (a new one in a temp dir when "").
func newHarness(t *testing.T, base, path string) *harness {
	t.Helper()
	return newStoreHarness(t, base, path, "")
}

// newStoreHarness is newHarness on PostgreSQL when pgURL is set.
func newStoreHarness(t *testing.T, base, path, pgURL string) *harness {
	t.Helper()
	h := &harness{t: t, path: path, pgURL: pgURL, log: &syncBuffer{}, base: base, now: time.Now}
	if h.path == "" {
		h.path = filepath.Join(t.TempDir(), "paywarden.db")
	}
	h.start()
	t.Cleanup(func() {
		h.stop()
		logs := h.log.String()
		for _, tok := range h.tokens {
			if strings.Contains(logs, tok) {
				t.Errorf("log holds an API token:\n%s", logs)
			}
		}
		if strings.Contains(logs, stripeKey.Reveal()) {
			t.Errorf("log holds the Stripe key:\n%s", logs)
		}
	})
	return h
}

// start opens the store and builds a new API on it: a fresh process.
func (h *harness) start() {
	h.t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewJSONHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var st interface {
		paywarden.Store
		SetNow(func() time.Time)
	}
	var err error
	if h.pgURL != "" {
		st, err = postgres.Open(ctx, h.pgURL, logger)
	} else {
		st, err = sqlite.Open(ctx, h.path, logger)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		h.t.Fatal(err)
	}
	st.SetNow(func() time.Time { return h.now() })
	sc, err := stripeapi.New(stripeapi.Config{
		Keys:        map[string]paywarden.Secret{paywarden.CapabilityDefault: stripeKey},
		APIBase:     h.base,
		RateLimit:   -1,
		Logger:      logger,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  2 * time.Millisecond,
		Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = st
	var apiStore api.Store = st
	if h.wrap != nil {
		apiStore = h.wrap(st)
	}
	h.reg = prometheus.NewRegistry()
	h.api = api.New(api.Options{Store: apiStore, Stripe: sc, Logger: logger, Now: func() time.Time { return h.now() }, Registerer: h.reg})
	h.srv = httptest.NewServer(h.api.Handler())
}

// stop throws the API away, as a crash would.
func (h *harness) stop() {
	if h.srv != nil {
		h.srv.Close()
		h.store.Close()
		h.srv = nil
	}
}

// restart builds a new API instance on the same database file.
func (h *harness) restart() {
	h.stop()
	h.start()
}

// token makes a token with the given scopes and returns it.
func (h *harness) token(scopes ...string) string {
	h.t.Helper()
	tok, rec, err := paywarden.NewToken("svc-"+strings.Join(scopes, "+"), scopes)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.CreateToken(context.Background(), rec); err != nil {
		h.t.Fatal(err)
	}
	h.tokens = append(h.tokens, tok)
	return tok
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, r.body)
	}
	return m
}

// do sends a request; idem is the Idempotency-Key ("" for none).
func (h *harness) do(method, path, token, idem, body string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// checkProblem checks that r is a problem document of the given status
// and type and returns it.
func checkProblem(t *testing.T, r response, status int, typ string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("got status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("got Content-Type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	if p["type"] != typ {
		t.Errorf("got type %v, want %s: %s", p["type"], typ, r.body)
	}
	if p["status"] != float64(status) {
		t.Errorf("got status field %v, want %d", p["status"], status)
	}
	if p["title"] == "" || p["detail"] == "" {
		t.Errorf("problem lacks title or detail: %s", r.body)
	}
	if id, _ := p["request_id"].(string); id == "" || id != r.header.Get("X-Request-Id") {
		t.Errorf("got request_id %q, want the X-Request-Id %q", id, r.header.Get("X-Request-Id"))
	}
	return p
}

// faultServer stands in for Stripe where stripe-mock cannot: it answers
// request n with steps[min(n, len-1)] and records Idempotency-Keys.
type faultServer struct {
	*httptest.Server
	mu    sync.Mutex
	keys  []string
	paths []string
	steps []http.HandlerFunc
}

func newFaultServer(t *testing.T, steps ...http.HandlerFunc) *faultServer {
	t.Helper()
	f := &faultServer{steps: steps}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		n := len(f.keys)
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		step := f.steps[min(n, len(f.steps)-1)]
		f.mu.Unlock()
		step(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *faultServer) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.keys...)
}

func reply(status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Request-Id") == "" {
			w.Header().Set("Request-Id", fmt.Sprintf("req_stripe%d", status))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const stripePayment = `{"id":"pi_1","object":"payment_intent","amount":2000,"currency":"usd","status":"requires_payment_method","client_secret":"pi_1_secret_x","created":1700000000,"customer":"cus_1","metadata":{}}`

var okPayment = reply(200, nil, stripePayment)
