// Command paywarden holds an organization's Stripe keys, receives every Stripe
// webhook exactly once, serves payments, subscriptions and reports to internal
// services, and audits repositories for Stripe security mistakes.
//
// main is kept tiny: everything happens in run, which tests call directly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/paywarden/paywarden/internal/logging"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(os.Stderr, err))
}

// run executes one paywarden command. It reads the environment only through
// getenv so that tests never touch the process environment.
//
// Every line it writes passes the redactor: the shapes of Stripe keys,
// webhook secrets, tokens and client secrets, and each secret value the
// configuration loads, even in text that quotes a user's input back (an
// unknown command, a missing variable named by a key pasted in its place).
// Only the token that tokens create shows once, and the log handler (which
// redacts each record), write past it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	red := logging.NewRedactor()
	out, errOut := logging.Writer(stdout, red), logging.Writer(stderr, red)
	defer errOut.Flush()
	defer out.Flush()
	e := &env{getenv: getenv, stdin: stdin, stdout: out, stderr: errOut, red: red, rawStdout: stdout, rawStderr: stderr}
	return e.safe(runCommand(ctx, args, e))
}

func runCommand(ctx context.Context, args []string, e *env) error {
	stdout, stderr := e.stdout, e.stderr
	if len(args) == 0 {
		usage(stderr)
		return usageErrorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "version", "--version", "-version":
		return runVersion(e.with(rest))
	case "audit":
		return runAudit(ctx, e.with(rest))
	default:
		if c, ok := commands[cmd]; ok {
			return c.run(ctx, e.with(rest))
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
	stdout, stderr io.Writer // every line scrubbed by red

	red *logging.Redactor
	// rawStdout is for the one secret a command must show: the token
	// tokens create prints once. rawStderr is for the log handler, which
	// redacts each record with red itself.
	rawStdout, rawStderr io.Writer
}

// with returns a copy of e with args.
func (e *env) with(args []string) *env {
	c := *e
	c.args = args
	return &c
}

// logOut is where the log handler writes.
func (e *env) logOut() io.Writer {
	if e.rawStderr != nil {
		return e.rawStderr
	}
	return e.stderr
}

// secretOut is where the one secret a command shows is written.
func (e *env) secretOut() io.Writer {
	if e.rawStdout != nil {
		return e.rawStdout
	}
	return e.stdout
}

// safe scrubs the error's text with red: report prints it.
func (e *env) safe(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return err
		}
		return &exitError{code: ee.code, err: errors.New(e.red.String(ee.err.Error()))}
	}
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errors.New(e.red.String(err.Error()))
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
  sync       backfill the mirror from Stripe's list APIs, resumable
  doctor     check configuration and posture; --online also asks Stripe
  report     revenue, subscriptions and payouts from the mirror, no Stripe key needed
  version    print version information (also --version)

Run 'paywarden <command> --help' for a command's arguments, flags and an example.
Flags go before or after arguments. Every setting has a flag, an environment
variable and a config file key (--config FILE): see docs/CONFIGURATION.md.
Exit codes: 0 success, 1 problems found, 2 usage or configuration error.
`)
}
