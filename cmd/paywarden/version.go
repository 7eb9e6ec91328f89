package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/paywarden/paywarden/internal/stripeapi"
)

// Set by the linker; the Makefile's build target stamps them from git:
// -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

// versionInfo is what version prints.
type versionInfo struct {
	Version          string `json:"version"`
	Commit           string `json:"commit"`
	Go               string `json:"go"`
	StripeAPIVersion string `json:"stripe_api_version"`
}

func buildInfo() versionInfo {
	c := commit
	if c == "" {
		c = "unknown"
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	return versionInfo{Version: version, Commit: c, Go: runtime.Version(), StripeAPIVersion: stripeapi.APIVersion}
}

func runVersion(e *env) error {
	c := newCmdline("version", "print the version, commit, Go version and pinned Stripe API version (also: paywarden --version)").
		example("paywarden version --format json")
	format := c.format()
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	v := buildInfo()
	if *format == "json" {
		return writeJSON(e.stdout, v)
	}
	fmt.Fprintf(e.stdout, "paywarden %s\ncommit: %s\ngo: %s\nstripe api version: %s\n", v.Version, v.Commit, v.Go, v.StripeAPIVersion)
	return nil
}
