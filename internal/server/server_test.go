package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func startServer(t *testing.T, o Options) *Server {
	t.Helper()
	o.Addr, o.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	if o.Webhooks == nil {
		o.Webhooks = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				return
			}
			io.WriteString(w, "ok")
		})
	}
	if o.Ready == nil {
		o.Ready = func(context.Context) error { return nil }
	}
	o.Logger = slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "paywarden_test_total", Help: "test"}))
	o.Gatherer = reg
	s := New(o)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

func TestHealthReadyMetrics(t *testing.T) {
	ready := errors.New("database down")
	s := startServer(t, Options{Ready: func(context.Context) error { return ready }})
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(s.URL() + "/healthz"); code != 200 {
		t.Errorf("/healthz: got %d, want 200", code)
	}
	code, body := get(s.URL() + "/readyz")
	if code != 503 {
		t.Errorf("/readyz while not ready: got %d, want 503", code)
	}
	if strings.Contains(body, "database down") {
		t.Errorf("/readyz leaks the cause: %s", body)
	}
	if code, body := get("http://" + s.AdminAddr().String() + "/metrics"); code != 200 || !strings.Contains(body, "paywarden_test_total") {
		t.Errorf("/metrics: got %d %q", code, body)
	}
	if code, _ := get(s.URL() + "/metrics"); code != 404 {
		t.Errorf("/metrics on the main listener: got %d, want 404", code)
	}
}

func TestTLS(t *testing.T) {
	cfg, err := SelfSignedTLS(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Options{TLS: cfg})
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL: got %s, want https", s.URL())
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("got %d, want 200", resp.StatusCode)
	}
}

// A client that sends its headers, or its body, a byte at a time is cut off
// by the timeouts rather than holding a connection forever.
func TestSlowClientsAreCut(t *testing.T) {
	short := &Timeouts{ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond, Write: time.Second, Idle: time.Second}
	s := startServer(t, Options{Timeouts: short})

	tests := []struct {
		name string
		send func(c net.Conn) error
	}{
		{"slow-loris headers", func(c net.Conn) error {
			if _, err := io.WriteString(c, "POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\n"); err != nil {
				return err
			}
			for {
				if _, err := io.WriteString(c, "X-A: b\r\n"); err != nil {
					return err
				}
				if err := waitClosed(c, 50*time.Millisecond); err != nil {
					return err
				}
			}
		}},
		{"trickling body", func(c net.Conn) error {
			if _, err := io.WriteString(c, "POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"); err != nil {
				return err
			}
			for {
				if _, err := io.WriteString(c, "x"); err != nil {
					return err
				}
				if err := waitClosed(c, 50*time.Millisecond); err != nil {
					return err
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The test's own bound: far above the server's timeouts. The
			// server must close the connection well before it.
			c.SetDeadline(time.Now().Add(20 * time.Second))
			err = tt.send(c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server kept the connection open for 20s")
			}
		})
	}
}

// waitClosed waits up to d for the server to close c (or answer and close).
// It returns an error once the connection is closed by the server.
func waitClosed(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := bufio.NewReader(c).ReadByte()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil // still open
	}
	if err == nil {
		return errors.New("server answered")
	}
	return err
}

// TestCloseAfterContentLengthAndChunked: a request with both
// Content-Length and Transfer-Encoding is answered and its connection
// closed (RFC 9112 §6.1), so nothing smuggled after it is read as a
// request; a request with Content-Length alone keeps its connection.
func TestCloseAfterContentLengthAndChunked(t *testing.T) {
	s := startServer(t, Options{})
	send := func(req string) (*http.Response, *bufio.Reader, net.Conn) {
		t.Helper()
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, req)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		return resp, br, c
	}
	resp, br, _ := send("POST /webhooks/stripe HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
	if !resp.Close {
		t.Errorf("CL+TE: the response does not close the connection (Connection: %q)", resp.Header.Get("Connection"))
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("CL+TE: after the response the connection gave %v, want EOF (the smuggled request was read)", err)
	}

	resp, br, c := send("POST /webhooks/stripe HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
	if resp.Close {
		t.Error("Content-Length alone: the connection was closed")
	}
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("Content-Length alone: a second request on the connection: %v", err)
	}
}

func TestPprofCmdlineNotServed(t *testing.T) {
	s := startServer(t, Options{})
	resp, err := http.Get("http://" + s.AdminAddr().String() + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(b), "server.test") {
		t.Errorf("cmdline: got %d %q, want 404 without the command line", resp.StatusCode, b)
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:9090": true, "[::1]:9090": true, "0.0.0.0:9090": false,
		"[::]:9090": false, "10.1.2.3:9090": false} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := Loopback(a); got != want {
			t.Errorf("Loopback(%s) = %v, want %v", addr, got, want)
		}
	}
}
