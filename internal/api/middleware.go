package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripeapi"
)

// reqInfo is what the layers of one request learn for the access log.
// The outermost layer makes it and hands it down inside the response
// writer (reqWriter, then bufferedWriter), never through the context, so
// each layer that fills it in is given it explicitly.
type reqInfo struct {
	id        string
	route     string
	tokenID   string
	tokenName string
	err       error // the error answered, if any
	replayed  bool  // answered from an idempotency record
	// trace is filled in by stripeapi's transport, which sees only the
	// outgoing request's context: the one value that must ride the context.
	trace stripeapi.Trace
}

// infoOf returns the reqInfo carried by w; a throwaway one outside the
// chain.
func infoOf(w http.ResponseWriter) *reqInfo {
	for {
		switch v := w.(type) {
		case *reqWriter:
			return v.ri
		case *bufferedWriter:
			return v.ri
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return &reqInfo{}
		}
	}
}

// requestID takes the caller's X-Request-Id when it is short and plain, or
// makes one, and answers with it.
func (a *API) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = "req_" + hex.EncodeToString(b[:])
		}
		ri := &reqInfo{id: id}
		w.Header().Set("X-Request-Id", id)
		ctx := stripeapi.WithTrace(r.Context(), &ri.trace)
		next.ServeHTTP(&reqWriter{ResponseWriter: w, ri: ri}, r.WithContext(ctx))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// reqWriter carries the request's reqInfo to the layers inside and
// remembers the status written, for the access log.
type reqWriter struct {
	http.ResponseWriter
	ri     *reqInfo
	status int
}

func (w *reqWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *reqWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *reqWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one line per request: method, route pattern, status,
// latency, token name and id, request id, Stripe's request id and, for an
// error, its code and safe cause. Never a body, a header value, a token or
// a key.
func (a *API) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, ok := w.(*reqWriter)
		if !ok { // outside requestID, as in a test of this layer alone
			sw = &reqWriter{ResponseWriter: w, ri: &reqInfo{}}
		}
		next.ServeHTTP(sw, r)
		ri := sw.ri
		route := ri.route
		if route == "" {
			route = "unmatched"
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Duration("latency", time.Since(start)),
			slog.String("request_id", ri.id),
		}
		if ri.tokenID != "" {
			attrs = append(attrs, slog.String("token", ri.tokenName), slog.String("token_id", ri.tokenID))
		}
		if id := ri.trace.LastRequestID(); id != "" {
			attrs = append(attrs, slog.String("stripe_request_id", id), slog.Int("stripe_attempts", ri.trace.Attempts()))
		}
		if ri.replayed {
			attrs = append(attrs, slog.Bool("idempotent_replay", true))
		}
		level := slog.LevelInfo
		if ri.err != nil {
			attrs = append(attrs, slog.String("error_code", paywarden.ErrorCode(ri.err)))
			if sw.status >= 500 {
				level = slog.LevelError
				// The cause of a server-side failure: Stripe's status and
				// codes or a store error, never Stripe's message (stripeapi
				// keeps those out of its errors).
				attrs = append(attrs, slog.String("error", ri.err.Error()))
			}
		}
		a.logger.LogAttrs(r.Context(), level, "api request", attrs...)
	})
}

// recoverPanic answers a panicking handler with a 500 problem document.
func (a *API) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.logger.ErrorContext(r.Context(), "api handler panicked",
					"request_id", infoOf(w).id, "stack", string(debug.Stack()))
				a.writeError(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type tokenKey struct{}

// tokenFrom returns the authenticated token of the request.
func tokenFrom(ctx context.Context) *paywarden.Token {
	t, _ := ctx.Value(tokenKey{}).(*paywarden.Token)
	return t
}

// authorize lets through requests bearing a live token with scope: 401
// without a token or with an unknown or revoked one, 403 without the scope.
func (a *API) authorize(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := a.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="paywarden"`)
			a.writeError(w, r, err)
			return
		}
		ri := infoOf(w)
		ri.tokenID, ri.tokenName = t.ID, t.Name
		if !t.Has(scope) {
			a.writeError(w, r, paywarden.Errorf(paywarden.EFORBIDDEN, "This token lacks the %s scope.", scope))
			return
		}
		if now := a.now(); now.Sub(t.LastUsedAt) >= touchInterval {
			if err := a.store.TouchToken(r.Context(), t.ID, now); err != nil {
				a.logger.WarnContext(r.Context(), "cannot record token use", "token_id", t.ID, "error", err)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	})
}

var errNoToken = paywarden.Errorf(paywarden.EUNAUTHORIZED, "A valid bearer token is required.")

func (a *API) authenticate(r *http.Request) (*paywarden.Token, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errNoToken
	}
	tok = strings.TrimSpace(tok)
	if !strings.HasPrefix(tok, paywarden.TokenPrefix) || len(tok) > 200 {
		return nil, errNoToken
	}
	hash := paywarden.HashToken(tok)
	t, err := a.store.TokenByHash(r.Context(), hash)
	if paywarden.ErrorCode(err) == paywarden.ENOTFOUND {
		return nil, errNoToken
	} else if err != nil {
		return nil, err
	}
	// The lookup found it by hash; compare again in constant time so that
	// no store's lookup behaviour is what stands between a guess and access.
	if subtle.ConstantTimeCompare(t.Hash, hash) != 1 || t.Revoked() {
		return nil, errNoToken
	}
	return t, nil
}

// stripeKey returns the idempotency key to send to Stripe for this request
// and records that the handler is about to act: from then on its answer is
// remembered. An answer given before acting (a validation error) is not, so
// that the caller may correct the request and reuse its key. w is the
// writer the idempotency layer gave the handler; outside that layer there
// is no key.
func stripeKey(w http.ResponseWriter) string {
	bw, ok := w.(*bufferedWriter)
	if !ok {
		return ""
	}
	bw.acted = true
	return bw.forStripe
}

// acting records that the handler is about to act without Stripe.
func acting(w http.ResponseWriter) { stripeKey(w) }

// StripeIdempotencyKey derives the key sent to Stripe from the token and
// the caller's Idempotency-Key: the same on every retry, on every replica
// and after a restart, and never the caller's key itself.
func StripeIdempotencyKey(tokenID, key string) string {
	sum := sha256.Sum256([]byte(tokenID + "\x00" + key))
	return "pw-" + hex.EncodeToString(sum[:])[:32]
}

// idempotent requires an Idempotency-Key, answers a repeat from the stored
// record, refuses a key reused with another request or still in flight,
// and stores the answer of a request that acted.
func (a *API) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		key := r.Header.Get("Idempotency-Key")
		if err := validIdempotencyKey(key); err != nil {
			a.writeError(w, r, err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
		if err != nil {
			a.writeError(w, r, bodyError(err))
			return
		}
		tok := tokenFrom(ctx)
		h := sha256.New()
		io.WriteString(h, r.Method+"\x00"+r.URL.Path+"\x00"+r.URL.RawQuery+"\x00")
		h.Write(body)
		hash := h.Sum(nil)

		now := a.now()
		existing, err := a.store.BeginIdempotent(ctx, &paywarden.IdempotencyRecord{
			TokenID: tok.ID, Key: key, RequestHash: hash,
			LockedUntil: now.Add(a.lock), CreatedAt: now, ExpiresAt: now.Add(a.ttl),
		})
		switch {
		case err != nil:
			a.writeError(w, r, err)
			return
		case existing != nil && !bytes.Equal(existing.RequestHash, hash):
			a.writeError(w, r, paywarden.Errorf(paywarden.EIDEMPOTENCY, "This Idempotency-Key was already used with a different request."))
			return
		case existing != nil && !existing.Done():
			a.writeError(w, r, paywarden.Errorf(paywarden.EIDEMPOTENCY, "A request with this Idempotency-Key is still in progress."))
			return
		case existing != nil:
			infoOf(w).replayed = true
			w.Header().Set("Idempotent-Replayed", "true")
			writeRaw(w, existing.Status, existing.Body)
			return
		}

		ri := infoOf(w)
		r.Body = io.NopCloser(bytes.NewReader(body))
		bw := &bufferedWriter{header: http.Header{}, ri: ri, forStripe: StripeIdempotencyKey(tok.ID, key)}
		next.ServeHTTP(bw, r)

		// The record is settled before the caller sees the answer, so that
		// an immediate repeat finds it done. Settle even if the caller left.
		sctx := context.WithoutCancel(ctx)
		if bw.acted && bw.status < 500 {
			if err := a.store.FinishIdempotent(sctx, tok.ID, key, bw.status, bw.body.Bytes()); err != nil {
				a.logger.ErrorContext(ctx, "cannot store idempotent answer", "request_id", ri.id, "error", err)
			}
		} else if err := a.store.AbandonIdempotent(sctx, tok.ID, key); err != nil {
			// The lock expires on its own; a repeat then takes it over.
			a.logger.ErrorContext(ctx, "cannot release idempotency key", "request_id", ri.id, "error", err)
		}
		for k, v := range bw.header {
			w.Header()[k] = v
		}
		w.WriteHeader(bw.status)
		w.Write(bw.body.Bytes())
	})
}

func validIdempotencyKey(key string) error {
	if key == "" {
		return &paywarden.Error{Code: paywarden.EINVALID, Param: "Idempotency-Key",
			Message: "An Idempotency-Key header is required on POST and DELETE."}
	}
	if len(key) > 255 {
		return &paywarden.Error{Code: paywarden.EINVALID, Param: "Idempotency-Key",
			Message: "The Idempotency-Key header must be at most 255 characters."}
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return &paywarden.Error{Code: paywarden.EINVALID, Param: "Idempotency-Key",
				Message: "The Idempotency-Key header must be printable ASCII without spaces."}
		}
	}
	return nil
}

// bufferedWriter holds an answer until the idempotency record is settled.
// It is the idempotency layer's explicit channel to the handler: the key
// to send to Stripe, and whether the handler acted (see stripeKey).
type bufferedWriter struct {
	header    http.Header
	status    int
	body      bytes.Buffer
	ri        *reqInfo
	forStripe string // the idempotency key sent to Stripe
	acted     bool
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
