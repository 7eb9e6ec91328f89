package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/logging"
	"github.com/paywarden/paywarden/internal/sqlite"
)

func sha(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// clock is a settable clock shared by the store and the dashboard.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is the dashboard over a real SQLite file, served over TLS so
// that the client's cookie jar keeps the Secure cookies.
type harness struct {
	t     *testing.T
	st    *sqlite.DB
	clock *clock
	srv   *httptest.Server
	c     *http.Client
}

func newHarness(t *testing.T, mod func(o *Options)) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pw.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
	st.SetNow(clk.Now)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := Options{Store: st, HashToken: sha, Redactor: logging.NewRedactor(), Now: clk.Now}
	if mod != nil {
		mod(&o)
	}
	srv := httptest.NewTLSServer(New(o).Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, st: st, clock: clk, srv: srv}
	h.c = h.client()
	return h
}

// client returns a new browser: its own cookie jar, no redirects followed.
func (h *harness) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	c := *h.srv.Client() // a copy: Client returns the same one each time
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func randToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return paywarden.TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// token stores a new token with scopes and returns it.
func (h *harness) token(id string, scopes ...string) string {
	h.t.Helper()
	tok := randToken()
	if err := h.st.CreateToken(context.Background(), &paywarden.Token{ID: id, Name: "ops " + id, Scopes: scopes, Hash: sha(tok)}); err != nil {
		h.t.Fatal(err)
	}
	return tok
}

type response struct {
	*http.Response
	body string
}

func (h *harness) do(c *http.Client, method, path string, form url.Values) response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp, string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token in a page's forms.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", body)
	}
	return m[1]
}

// login logs c in with token and returns the answer to the POST.
func (h *harness) login(c *http.Client, token string) response {
	h.t.Helper()
	page := h.do(c, "GET", "/ui/login", nil)
	return h.do(c, "POST", "/ui/login", url.Values{"token": {token}, "csrf": {csrfOf(h.t, page.body)}})
}

// admin returns a client logged in with a new admin token.
func (h *harness) admin() (*http.Client, string) {
	h.t.Helper()
	c := h.client()
	tok := h.token("tok_admin", paywarden.ScopeAdmin)
	if r := h.login(c, tok); r.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("admin login: got %d, want 303\n%s", r.StatusCode, r.body)
	}
	return c, tok
}

func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Errorf("%s: got status %d, want %d\n%s", what, r.StatusCode, status, r.body)
	}
}

func wantRedirect(t *testing.T, what string, r response, to string) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != to {
		t.Errorf("%s: got %d to %q, want 303 to %q", what, r.StatusCode, r.Header.Get("Location"), to)
	}
}

func TestNoSessionGoesToLogin(t *testing.T) {
	h := newHarness(t, nil)
	for _, path := range []string{"/ui/", "/ui/events", "/ui/events/evt_1", "/ui/posture", "/ui/revenue", "/ui/revenue.csv"} {
		wantRedirect(t, "GET "+path, h.do(h.c, "GET", path, nil), "/ui/login")
	}
	for _, path := range []string{"/ui/logout", "/ui/events/evt_1/replay", "/ui/events/replay"} {
		wantStatus(t, "POST "+path, h.do(h.c, "POST", path, url.Values{"csrf": {"x"}}), http.StatusUnauthorized)
	}
	// Assets need no session; the asset directory is not listed.
	wantStatus(t, "GET the stylesheet", h.do(h.c, "GET", "/ui/static/style.css", nil), http.StatusOK)
	wantStatus(t, "GET the asset directory", h.do(h.c, "GET", "/ui/static/", nil), http.StatusNotFound)
	// A cookie that names no session is no better.
	u, _ := url.Parse(h.srv.URL)
	h.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: randToken(), Path: "/"}})
	wantRedirect(t, "GET /ui/ with a made-up session", h.do(h.c, "GET", "/ui/", nil), "/ui/login")
}

func TestLogin(t *testing.T) {
	h := newHarness(t, nil)
	r := h.login(h.c, h.token("tok_a", paywarden.ScopeAdmin))
	wantRedirect(t, "login", r, "/ui/")
	var sess *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			sess = c
		}
	}
	if sess == nil {
		t.Fatalf("login set no %s cookie; Set-Cookie: %q", sessionCookie, r.Header.Values("Set-Cookie"))
	}
	if !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" {
		t.Errorf("session cookie: got HttpOnly=%v Secure=%v SameSite=%v Path=%q, want true, true, Strict, /",
			sess.HttpOnly, sess.Secure, sess.SameSite, sess.Path)
	}
	if want := int((8 * time.Hour).Seconds()); sess.MaxAge != want {
		t.Errorf("session cookie Max-Age: got %d, want %d", sess.MaxAge, want)
	}
	// Only the hash is stored: the cookie value itself finds nothing.
	if _, err := h.st.SessionByHash(context.Background(), []byte(sess.Value)); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("SessionByHash(raw cookie value): got %v, want not_found", err)
	}
	if _, err := h.st.SessionByHash(context.Background(), sha(sess.Value)); err != nil {
		t.Errorf("SessionByHash(sha256 of cookie): %v", err)
	}
	r = h.do(h.c, "GET", "/ui/", nil)
	wantStatus(t, "overview after login", r, http.StatusOK)
	if !strings.Contains(r.body, "<h1>Overview</h1>") || !strings.Contains(r.body, "ops tok_a") {
		t.Errorf("overview after login does not show the overview and the token name:\n%s", r.body)
	}

	// Logging out ends the session on the server, not just in the browser.
	r = h.do(h.c, "POST", "/ui/logout", url.Values{"csrf": {csrfOf(t, r.body)}})
	wantRedirect(t, "logout", r, "/ui/login")
	if _, err := h.st.SessionByHash(context.Background(), sha(sess.Value)); paywarden.ErrorCode(err) != paywarden.ENOTFOUND {
		t.Errorf("session after logout: got %v, want not_found", err)
	}
}

func TestLoginRefusals(t *testing.T) {
	h := newHarness(t, nil)
	for _, tt := range []struct {
		name   string
		token  string
		status int
		says   string
	}{
		{"not admin", h.token("tok_r", paywarden.ScopeEventsRead, paywarden.ScopeEventsWrite), http.StatusForbidden, "lacks the admin scope"},
		{"unknown", randToken(), http.StatusUnauthorized, "Unknown or revoked token"},
		{"not a token", "hunter2", http.StatusUnauthorized, "not a paywarden token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := h.client()
			r := h.login(c, tt.token)
			wantStatus(t, "login", r, tt.status)
			if !strings.Contains(r.body, tt.says) {
				t.Errorf("login page does not say %q:\n%s", tt.says, r.body)
			}
			if strings.Contains(r.body, tt.token) {
				t.Errorf("the login page shows the token back")
			}
			wantRedirect(t, "GET /ui/ after a refused login", h.do(c, "GET", "/ui/", nil), "/ui/login")
		})
	}
	t.Run("revoked", func(t *testing.T) {
		tok := h.token("tok_old", paywarden.ScopeAdmin)
		if err := h.st.RevokeToken(context.Background(), "tok_old", h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "login with a revoked token", h.login(h.client(), tok), http.StatusUnauthorized)
	})
	t.Run("no login CSRF", func(t *testing.T) {
		tok := h.token("tok_b", paywarden.ScopeAdmin)
		c := h.client()
		wantStatus(t, "login POST without the form's token", h.do(c, "POST", "/ui/login", url.Values{"token": {tok}}), http.StatusForbidden)
		page := h.do(c, "GET", "/ui/login", nil)
		wantStatus(t, "login POST with a wrong form token", h.do(c, "POST", "/ui/login",
			url.Values{"token": {tok}, "csrf": {csrfOf(t, page.body) + "x"}}), http.StatusForbidden)
	})
}

func TestRevokedTokenEndsSession(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	wantStatus(t, "overview", h.do(c, "GET", "/ui/", nil), http.StatusOK)
	if err := h.st.RevokeToken(context.Background(), "tok_admin", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, "overview after the token is revoked", h.do(c, "GET", "/ui/", nil), "/ui/login")
}

func TestSessionExpires(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.SessionTTL = time.Hour })
	c, _ := h.admin()
	h.clock.Advance(59 * time.Minute)
	wantStatus(t, "overview before expiry", h.do(c, "GET", "/ui/", nil), http.StatusOK)
	h.clock.Advance(time.Minute)
	wantRedirect(t, "overview at expiry", h.do(c, "GET", "/ui/", nil), "/ui/login")
}

// deadEvent stores a dead event and returns its id.
func (h *harness) deadEvent(id, typ string) string {
	h.t.Helper()
	_, err := h.st.InsertEvents(context.Background(), []*paywarden.Event{{
		ID: id, Type: typ, Created: h.clock.Now(), APIVersion: "2025-01-27.acacia", ObjectID: "cus_" + id,
		ObjectType: paywarden.ObjectCustomer, Endpoint: "default", Status: paywarden.EventDead, Attempts: 8,
		LastError: "handler: subscriber billing answered 500",
		Payload:   []byte(`{"id":"` + id + `","object":"event","type":"` + typ + `","data":{"object":{"id":"cus_` + id + `","object":"customer"}}}`),
	}})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) status(id string) paywarden.EventStatus {
	h.t.Helper()
	e, err := h.st.Event(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return e.Status
}

func TestCSRF(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	id := h.deadEvent("evt_dead1", "customer.updated")
	page := h.do(c, "GET", "/ui/events/"+id, nil)
	csrf := csrfOf(t, page.body)
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"missing", url.Values{}},
		{"wrong", url.Values{"csrf": {wrongLast(csrf)}}},
		{"another session's", url.Values{"csrf": {func() string {
			c2 := h.client()
			if r := h.login(c2, h.token("tok_other", paywarden.ScopeAdmin)); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("second login: %d", r.StatusCode)
			}
			return csrfOf(t, h.do(c2, "GET", "/ui/", nil).body)
		}()}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, "replay", h.do(c, "POST", "/ui/events/"+id+"/replay", tt.form), http.StatusForbidden)
			tt.form.Set("type", "customer.updated")
			wantStatus(t, "replay by type", h.do(c, "POST", "/ui/events/replay", tt.form), http.StatusForbidden)
			wantStatus(t, "logout", h.do(c, "POST", "/ui/logout", tt.form), http.StatusForbidden)
			if got := h.status(id); got != paywarden.EventDead {
				t.Errorf("event after a refused replay: got %s, want dead", got)
			}
		})
	}
	r := h.do(c, "POST", "/ui/events/"+id+"/replay", url.Values{"csrf": {csrf}})
	wantRedirect(t, "replay with the session's CSRF token", r, "/ui/events/"+id+"?replayed=1")
	if got := h.status(id); got != paywarden.EventPending {
		t.Errorf("event after replay: got %s, want pending", got)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	id := h.deadEvent("evt_x", "customer.updated")
	csrf := csrfOf(t, h.do(c, "GET", "/ui/", nil).body)
	req, _ := http.NewRequest("POST", h.srv.URL+"/ui/events/"+id+"/replay", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: got %d, want 403", resp.StatusCode)
	}
	if got := h.status(id); got != paywarden.EventDead {
		t.Errorf("event after a cross-site replay: got %s, want dead", got)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h := newHarness(t, nil)
	c, _ := h.admin()
	h.deadEvent("evt_h", "customer.updated")
	csrf := csrfOf(t, h.do(c, "GET", "/ui/", nil).body)
	anon := h.client()
	for _, tt := range []struct {
		name   string
		c      *http.Client
		method string
		path   string
		form   url.Values
	}{
		{"login page", anon, "GET", "/ui/login", nil},
		{"refused login", anon, "POST", "/ui/login", url.Values{"token": {"x"}}},
		{"redirect to login", anon, "GET", "/ui/", nil},
		{"stylesheet", anon, "GET", "/ui/static/style.css", nil},
		{"not found", anon, "GET", "/ui/nope", nil},
		{"no directory listing", anon, "GET", "/ui/static/", nil},
		{"overview", c, "GET", "/ui/", nil},
		{"events", c, "GET", "/ui/events?status=dead", nil},
		{"event", c, "GET", "/ui/events/evt_h", nil},
		{"missing event", c, "GET", "/ui/events/evt_missing", nil},
		{"bad filter", c, "GET", "/ui/events?from=yesterday", nil},
		{"posture", c, "GET", "/ui/posture", nil},
		{"revenue", c, "GET", "/ui/revenue", nil},
		{"replay", c, "POST", "/ui/events/evt_h/replay", url.Values{"csrf": {csrf}}},
		{"CSRF refusal", c, "POST", "/ui/events/evt_h/replay", url.Values{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.c, tt.method, tt.path, tt.form)
			for k, want := range map[string]string{
				"Content-Security-Policy": csp,
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "no-referrer",
				"X-Content-Type-Options":  "nosniff",
			} {
				if got := r.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			if strings.Contains(r.body, "<script") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "<style") {
				t.Errorf("the page has inline script or style, which the CSP forbids")
			}
		})
	}
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q: want default-src 'none', no script source and nothing unsafe", csp)
	}
}

func TestLoginRateLimited(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.LoginBurst = 3; o.LoginEvery = time.Minute })
	c := h.client()
	for i := range 3 {
		wantStatus(t, "attempt "+string(rune('1'+i)), h.login(c, randToken()), http.StatusUnauthorized)
	}
	// The right token does not get through while the address is limited.
	r := h.login(c, h.token("tok_a", paywarden.ScopeAdmin))
	wantStatus(t, "attempt 4", r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	h.clock.Advance(time.Minute)
	wantRedirect(t, "after a minute", h.login(c, h.token("tok_b", paywarden.ScopeAdmin)), "/ui/")
}

// Compile-time check that the registry type fits the option.
var _ prometheus.Gatherer = prometheus.NewRegistry()

// wrongLast returns s with its last character changed (to "A", or "B"
// when it already is "A"), so the token is never the right one by chance.
func wrongLast(s string) string {
	c := "A"
	if strings.HasSuffix(s, "A") {
		c = "B"
	}
	return s[:len(s)-1] + c
}
