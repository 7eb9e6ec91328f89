// Command healthcheck asks the paywarden in the same container for
// /healthz and exits 0 when it answers 200, 1 otherwise. It is the
// Dockerfile's HEALTHCHECK: the image has no shell, curl or wget. It reads
// the same PAYWARDEN_ADDR and PAYWARDEN_TLS_TERMINATED_UPSTREAM as serve,
// and only ever connects to loopback.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if err := check(os.Getenv("PAYWARDEN_ADDR"), os.Getenv("PAYWARDEN_TLS_TERMINATED_UPSTREAM") == "true"); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

func check(addr string, plain bool) error {
	if addr == "" {
		addr = ":8443"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("PAYWARDEN_ADDR %q: %v", addr, err)
	}
	scheme := "https"
	if plain {
		scheme = "http"
	}
	c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		// The certificate names the service's public host, not loopback;
		// this probe checks liveness, not identity, and never leaves the host.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %d", resp.StatusCode)
	}
	return nil
}
