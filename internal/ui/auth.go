package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/paywarden/paywarden"
)

// Cookie names. The __Host- prefix makes the browser refuse them unless
// they are Secure, have Path=/ and no Domain, so no sibling host or plain
// HTTP page can set or shadow them.
const (
	sessionCookie = "__Host-paywarden-session"
	loginCookie   = "__Host-paywarden-login" // the login form's CSRF token, before there is a session
)

// csp allows the dashboard's own stylesheet and images and nothing else:
// no script at all, no inline style, no framing, forms only to itself.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every dashboard response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
			// Pages show payment data: no cache keeps a copy.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// randomToken returns 32 random bytes in base64url: session ids and CSRF
// tokens.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSession(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

func setCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/",
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	}
	if ttl > 0 {
		c.MaxAge = int(ttl.Seconds())
	} else {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// equal compares secrets in constant time; an empty one never matches.
func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// loginPage shows the login form with a fresh CSRF token, also set as a
// cookie: the POST must carry both, equal (double submit, as there is no
// session yet to tie it to).
func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	u.showLogin(w, r, http.StatusOK, "")
}

func (u *UI) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	csrf := randomToken()
	setCookie(w, loginCookie, csrf, time.Hour)
	u.render(w, r, status, "login", &page{Title: "Log in", CSRF: csrf, Error: msg})
}

// login exchanges an admin token for a session.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !u.logins.allow(clientAddr(r)) {
		w.Header().Set("Retry-After", "60")
		u.showLogin(w, r, http.StatusTooManyRequests, "Too many login attempts from your address. Wait a minute and try again.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	c, err := r.Cookie(loginCookie)
	if err != nil || !equal(c.Value, r.PostFormValue("csrf")) {
		u.showLogin(w, r, http.StatusForbidden, "The form expired. Log in again.")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if !strings.HasPrefix(token, paywarden.TokenPrefix) {
		u.showLogin(w, r, http.StatusUnauthorized, "That is not a paywarden token (pwk_...).")
		return
	}
	t, err := u.o.Store.TokenByHash(ctx, u.o.HashToken(token))
	switch {
	case paywarden.ErrorCode(err) == paywarden.ENOTFOUND || err == nil && t.Revoked():
		u.o.Logger.WarnContext(ctx, "dashboard login refused: unknown or revoked token", "client", clientAddr(r))
		u.showLogin(w, r, http.StatusUnauthorized, "Unknown or revoked token.")
		return
	case err != nil:
		u.fail(w, r, err)
		return
	case !t.Has(paywarden.ScopeAdmin):
		u.o.Logger.WarnContext(ctx, "dashboard login refused: token lacks admin", "token_id", t.ID)
		u.showLogin(w, r, http.StatusForbidden, "This token lacks the admin scope.")
		return
	}
	id, now := randomToken(), u.o.Now()
	err = u.o.Store.CreateSession(ctx, &paywarden.Session{
		Hash: hashSession(id), TokenID: t.ID, CSRF: randomToken(), CreatedAt: now, ExpiresAt: now.Add(u.o.SessionTTL),
	})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.o.Logger.InfoContext(ctx, "dashboard login", "token", t.Name, "token_id", t.ID)
	// Logins are rare: each sweeps the sessions that ended, so the table
	// needs no job of its own.
	if _, err := u.o.Store.DeleteExpiredSessions(ctx, now); err != nil {
		u.o.Logger.WarnContext(ctx, "deleting ended dashboard sessions", "err", err)
	}
	setCookie(w, loginCookie, "", 0)
	setCookie(w, sessionCookie, id, u.o.SessionTTL)
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// logout ends the session.
func (u *UI) logout(w http.ResponseWriter, r *http.Request, s *paywarden.Session) {
	if err := u.o.Store.DeleteSession(r.Context(), s.Hash); err != nil {
		u.fail(w, r, err)
		return
	}
	setCookie(w, sessionCookie, "", 0)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// authenticated runs h with the request's live session of an admin token.
// Without one, a GET is sent to the login page and anything else refused.
// A request that is not a GET or HEAD must carry the session's CSRF token
// in the form field csrf.
func (u *UI) authenticated(h func(w http.ResponseWriter, r *http.Request, s *paywarden.Session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := u.session(r)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
				return
			}
			u.fail(w, r, paywarden.Errorf(paywarden.EUNAUTHORIZED, "Your session has ended. Log in again."))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if !equal(s.CSRF, r.PostFormValue("csrf")) {
				u.o.Logger.WarnContext(r.Context(), "dashboard request without a valid CSRF token", "path", r.URL.Path, "token_id", s.TokenID)
				u.fail(w, r, paywarden.Errorf(paywarden.EFORBIDDEN, "The form is missing its CSRF token or it is wrong. Reload the page and try again."))
				return
			}
		}
		h(w, r, s)
	})
}

// session returns the request's live session of an admin token, or nil
// when there is none.
func (u *UI) session(r *http.Request) (*paywarden.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	s, err := u.o.Store.SessionByHash(r.Context(), hashSession(c.Value))
	switch {
	case paywarden.ErrorCode(err) == paywarden.ENOTFOUND:
		return nil, nil
	case err != nil:
		return nil, err
	case !s.Has(paywarden.ScopeAdmin):
		// Scopes are read with every request, not remembered from the login.
		return nil, nil
	}
	return s, nil
}

// clientAddr is the address login attempts are counted by: the TCP peer.
// X-Forwarded-For is not trusted, as any client can set it; behind a proxy
// every client shares the proxy's budget, which fails closed.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter is a token bucket per client address. Buckets idle long enough
// to be full again are dropped, so the map stays as small as the set of
// recent clients.
type limiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(every time.Duration, burst int, now func() time.Time) *limiter {
	return &limiter{every: every, burst: burst, now: now, buckets: map[string]*bucket{}}
}

func (l *limiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	full := l.every * time.Duration(l.burst)
	if len(l.buckets) > 1000 {
		for a, b := range l.buckets {
			if now.Sub(b.seen) > full {
				delete(l.buckets, a)
			}
		}
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[addr] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
