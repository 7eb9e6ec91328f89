// Command paywarden holds an organization's Stripe keys, receives every Stripe
// webhook exactly once, serves payments, subscriptions and reports to internal
// services, and audits repositories for Stripe security mistakes.
//
// main is kept tiny: everything happens in run, which tests call directly.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(os.Stderr, err))
}

// run executes one paywarden command. It reads the environment only through
// getenv so that tests never touch the process environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return usageErrorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "version":
		return runVersion(rest, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "doctor", "sync":
		return usageErrorf("%s is not implemented in this version of paywarden", cmd)
	default:
		if c, ok := commands[cmd]; ok {
			return c.run(ctx, &env{args: rest, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
		}
		usage(stderr)
		return usageErrorf("unknown command %q", cmd)
	}
}

// env is what a server-side command gets from run.
type env struct {
	args           []string
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is a server-side command: one that loads the configuration.
type command struct {
	summary string
	run     func(ctx context.Context, e *env) error
}

// commands is filled by the init functions of the files that implement them,
// so that each command lives in its own file.
var commands = map[string]command{}

func usage(w io.Writer) {
	fmt.Fprint(w, `paywarden holds the Stripe keys, receives every webhook exactly once and audits repositories.

Usage:
  paywarden <command> [flags]

Commands:
  serve      run the HTTPS server: webhooks, internal API, health, metrics
  migrate    apply database migrations
  audit      scan repositories for Stripe security mistakes
  keys       show key fingerprints and ages, or verify keys against Stripe
  tokens     create, list and revoke internal API tokens
  events     list, show, replay and reconcile webhook events
  report     revenue, subscriptions and payouts from the mirror, no Stripe key needed
  version    print version information

Run 'paywarden <command> --help' for a command's flags.
Exit codes: 0 success, 1 problems found, 2 usage or configuration error.
`)
}
