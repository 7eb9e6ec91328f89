package logging

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMiddleware(t *testing.T) {
	key := "rk_" + "live_" + strings.Repeat("M", 24)
	var buf bytes.Buffer
	l := New(&buf, "json", slog.LevelInfo, nil)
	h := Middleware(l)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("key " + key) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/x", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("got status %d, want 500", rec.Code)
	}
	if !strings.Contains(buf.String(), "panic recovered") || strings.Contains(buf.String(), key) {
		t.Errorf("got log %s, want the panic logged without the key", buf.String())
	}
}

func TestMiddlewareAbort(t *testing.T) {
	h := Middleware(New(&bytes.Buffer{}, "text", slog.LevelInfo, nil))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("got panic %v, want http.ErrAbortHandler re-raised", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
