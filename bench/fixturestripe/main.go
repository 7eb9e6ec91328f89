// Command fixturestripe serves a report fixture's objects through Stripe's
// list APIs on a local address, so that `paywarden sync` can mirror them
// and `paywarden report` show the figures the fixture computes by hand.
// See docs/REPORTING.md, "See the fixtures through sync".
//
//	go run ./bench/fixturestripe -addr 127.0.0.1:12113 -fixture internal/report/testdata/revenue_ledger.json
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paywarden/paywarden/internal/report/fixturestripe"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fixturestripe:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:12113", "`HOST:PORT` to listen on; the host must be a loopback address")
	path := flag.String("fixture", "internal/report/testdata/revenue_ledger.json", "fixture `FILE` whose objects to serve")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	// It accepts any key and serves fixture data: never beyond this machine.
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("-addr must be a loopback address such as 127.0.0.1:12113")
	}
	f, err := fixturestripe.ReadFile(*path)
	if err != nil {
		return err
	}
	h, err := fixturestripe.New(f)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	kind, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(*path), ".json"), "_")
	fmt.Printf("serving %d objects of %s at http://%s\n", len(f.Objects), *path, l.Addr())
	db := "sqlite:var/fixture-" + strings.TrimSuffix(filepath.Base(*path), ".json") + ".db"
	fmt.Printf("then: PAYWARDEN_DATABASE_URL=%s bin/paywarden sync --config var/paywarden-dev.toml --stripe-api-base http://%s\n", db, l.Addr())
	fmt.Printf("and:  PAYWARDEN_DATABASE_URL=%s bin/paywarden report %s --config var/paywarden-dev.toml --from %s --to %s --interval %s",
		db, kind, f.Options.From, f.Options.To, f.Options.Interval)
	fmt.Println()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(l)
}
