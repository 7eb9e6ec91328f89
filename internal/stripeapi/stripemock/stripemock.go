// Package stripemock starts stripe-mock, Stripe's stateless API mock, for
// tests that check the shape of paywarden's requests. It is pinned as a
// `go tool` in go.mod.
package stripemock

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Mock is a running stripe-mock.
type Mock struct {
	// URL is the base URL of its plain-HTTP listener.
	URL string
	cmd *exec.Cmd
}

// Start builds (once, through the Go build cache) and starts stripe-mock on
// two free loopback ports, and waits until it answers. The caller stops it.
func Start(ctx context.Context) (*Mock, error) {
	bin, err := binary(ctx)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a free port may be taken between probe and start
		httpPort, err1 := freePort()
		httpsPort, err2 := freePort()
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("stripemock: no free port: %v %v", err1, err2)
		}
		m := &Mock{URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
		m.cmd = exec.Command(bin,
			"-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
			"-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort))
		var out bytes.Buffer
		m.cmd.Stdout, m.cmd.Stderr = &out, &out
		dieWithParent(m.cmd)
		if err := m.cmd.Start(); err != nil {
			return nil, fmt.Errorf("stripemock: start: %w", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- m.cmd.Wait() }()
		if err := m.ready(ctx, exited); err != nil {
			m.cmd.Process.Kill()
			lastErr = fmt.Errorf("%w; output: %s", err, tail(out.String()))
			continue
		}
		return m, nil
	}
	return nil, lastErr
}

// ready polls the mock until it answers, it exits, or 60 s pass.
func (m *Mock) ready(ctx context.Context, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("stripemock: exited early: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer sk_"+"test_"+strings.Repeat("x", 24))
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("stripemock: not answering on %s after 60s", m.URL)
}

// Stop kills the mock.
func (m *Mock) Stop() {
	if m != nil && m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
	}
}

// binary returns the path of the stripe-mock binary: $STRIPE_MOCK_BIN if
// set, else what `go tool -n stripe-mock` builds.
func binary(ctx context.Context) (string, error) {
	if p := os.Getenv("STRIPE_MOCK_BIN"); p != "" {
		return p, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "tool", "-n", "stripe-mock").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		return "", fmt.Errorf("stripemock: go tool -n stripe-mock: %v %s", err, tail(stderr))
	}
	p := strings.TrimSpace(string(out))
	if p == "" {
		return "", fmt.Errorf("stripemock: go tool -n stripe-mock printed nothing")
	}
	return p, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string) string {
	if len(s) > 500 {
		return s[len(s)-500:]
	}
	return s
}

// RunTests is the body of a test package's TestMain: it starts stripe-mock,
// passes its base URL (or why it could not start, so that the tests that
// need it skip) to set, runs the tests, stops the mock and returns the exit
// code for os.Exit.
func RunTests(m interface{ Run() int }, set func(url string, err error)) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	mock, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "stripe-mock unavailable, its tests will be skipped: %v\n", err)
		set("", err)
	} else {
		set(mock.URL, nil)
	}
	defer mock.Stop()
	return m.Run()
}
