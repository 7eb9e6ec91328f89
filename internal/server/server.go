// Package server runs paywarden's two listeners: the main one (HTTPS, or
// plain HTTP behind a TLS-terminating proxy) with the webhook receiver, the
// internal API and the health checks, and the admin one with metrics and
// pprof. Every server timeout is set, always.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Timeouts are the main listener's. They are short enough that a slow-loris
// client, trickling headers or a body, is cut off, and long enough for an
// internal API call that waits on Stripe's retries.
var defaultTimeouts = Timeouts{
	ReadHeader: 5 * time.Second,
	Read:       15 * time.Second,
	Write:      60 * time.Second,
	Idle:       120 * time.Second,
}

// Timeouts of a listener.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// Options configure a Server.
type Options struct {
	Addr      string // main listener, e.g. ":8443"
	AdminAddr string // admin listener, e.g. "127.0.0.1:9090"

	// TLS is the main listener's TLS configuration; nil serves plain HTTP,
	// which only an explicit PAYWARDEN_TLS_TERMINATED_UPSTREAM allows.
	TLS *tls.Config

	Webhooks http.Handler // POST /webhooks/stripe and /webhooks/stripe/{endpoint}
	API      http.Handler // /v1/...; nil: not mounted
	UI       http.Handler // /ui/...; nil: not mounted
	Ready    func(ctx context.Context) error

	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	Timeouts *Timeouts // nil: the defaults
	// Middleware wraps the whole main handler (outermost first).
	Middleware []func(http.Handler) http.Handler
}

// Server is paywarden's pair of listeners.
type Server struct {
	o             Options
	main, admin   *http.Server
	mainL, adminL net.Listener
}

// New returns a Server; Listen opens its listeners.
func New(o Options) *Server {
	t := defaultTimeouts
	if o.Timeouts != nil {
		t = *o.Timeouts
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/stripe", o.Webhooks)
	mux.Handle("POST /webhooks/stripe/{endpoint}", o.Webhooks)
	if o.API != nil {
		mux.Handle("/v1/", o.API)
	}
	if o.UI != nil {
		mux.Handle("/ui/", o.UI)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := o.Ready(ctx); err != nil {
			o.Logger.WarnContext(ctx, "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"not ready"}`)
			return
		}
		fmt.Fprint(w, `{"status":"ready"}`)
	})
	var h http.Handler = mux
	for i := len(o.Middleware) - 1; i >= 0; i-- {
		h = o.Middleware[i](h)
	}
	h = closeAfterChunked(h)

	admin := http.NewServeMux()
	admin.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	admin.HandleFunc("/debug/pprof/", pprof.Index)
	// The command line may hold a credential (a database URL given as a
	// flag before it was refused, or by another tool's wrapper): never
	// served.
	admin.HandleFunc("/debug/pprof/cmdline", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "The command line is not served: it may hold credentials.", http.StatusNotFound)
	})
	admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
	admin.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	admin.HandleFunc("/debug/pprof/trace", pprof.Trace)

	errLog := slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)
	return &Server{
		o: o,
		main: &http.Server{
			Handler:           h,
			TLSConfig:         o.TLS,
			ReadHeaderTimeout: t.ReadHeader,
			ReadTimeout:       t.Read,
			WriteTimeout:      t.Write,
			IdleTimeout:       t.Idle,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          errLog,
		},
		admin: &http.Server{
			Handler:           admin,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			// pprof's profile and trace run for up to 30 s by default.
			WriteTimeout: 65 * time.Second,
			IdleTimeout:  120 * time.Second,
			ErrorLog:     errLog,
		},
	}
}

// Listen opens both listeners, so that their addresses are known (for ":0")
// before Serve.
func (s *Server) Listen() error {
	var err error
	if s.mainL, err = net.Listen("tcp", s.o.Addr); err != nil {
		return fmt.Errorf("listening on PAYWARDEN_ADDR %s: %w", s.o.Addr, err)
	}
	if s.adminL, err = net.Listen("tcp", s.o.AdminAddr); err != nil {
		s.mainL.Close()
		return fmt.Errorf("listening on PAYWARDEN_ADMIN_ADDR %s: %w", s.o.AdminAddr, err)
	}
	if s.o.TLS != nil {
		s.mainL = tls.NewListener(s.mainL, s.o.TLS)
	}
	if !Loopback(s.adminL.Addr()) {
		s.o.Logger.Warn("the admin listener is not on loopback: /metrics and pprof can be read by anyone who reaches "+
			"this address; bind PAYWARDEN_ADMIN_ADDR to 127.0.0.1 or firewall it", "admin", s.adminL.Addr().String())
	}
	return nil
}

// Loopback reports whether addr is a loopback address. An unspecified
// address (":9090", "0.0.0.0") listens on every interface, so it is not.
func Loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// closeAfterChunked closes the connection after a request whose body was
// sent chunked. RFC 9112 §6.1: a server that receives both Content-Length
// and Transfer-Encoding MUST close the connection after responding, as the
// two framings are how requests are smuggled past a proxy. net/http reads
// the chunked body and drops Content-Length before a handler sees the
// request, so a handler cannot tell whether both were sent: every chunked
// request closes its connection. Clients that send Content-Length (Stripe,
// curl, most SDKs) keep theirs.
func closeAfterChunked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 1 && len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// Addr returns the main listener's address, after Listen.
func (s *Server) Addr() net.Addr { return s.mainL.Addr() }

// AdminAddr returns the admin listener's address, after Listen.
func (s *Server) AdminAddr() net.Addr { return s.adminL.Addr() }

// URL returns the main listener's base URL, after Listen.
func (s *Server) URL() string {
	scheme := "http"
	if s.o.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + s.mainL.Addr().String()
}

// Serve serves until ctx is done, then shuts down gracefully: in-flight
// requests get up to grace to finish.
func (s *Server) Serve(ctx context.Context, grace time.Duration) error {
	errc := make(chan error, 2)
	go func() { errc <- s.main.Serve(s.mainL) }()
	go func() { errc <- s.admin.Serve(s.adminL) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	s.admin.Shutdown(sctx)
	if serr := s.main.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
