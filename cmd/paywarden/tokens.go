package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
)

func init() {
	commands["tokens"] = command{
		summary: "create, list and revoke internal API tokens",
		run:     runTokens,
	}
}

const tokensUsage = `Usage:
  paywarden tokens create --name NAME --scope SCOPE[,SCOPE...]
  paywarden tokens list [--format text|json]
  paywarden tokens revoke ID

create prints the new token once; paywarden stores only its SHA-256.
Scopes: ` + "payments:read, payments:write, subscriptions:read, subscriptions:write, reports:read, events:read, events:write, admin" + `

The database is PAYWARDEN_DATABASE_URL (default sqlite:paywarden.db).
`

func runTokens(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, tokensUsage)
		return usageErrorf("tokens: want a subcommand: create, list or revoke")
	}
	sub, args := e.args[0], e.args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, tokensUsage)
		return nil
	case "create":
		return tokensCreate(ctx, e, args)
	case "list":
		return tokensList(ctx, e, args)
	case "revoke":
		return tokensRevoke(ctx, e, args)
	}
	fmt.Fprint(e.stderr, tokensUsage)
	return usageErrorf("tokens: unknown subcommand %q", sub)
}

func tokensCreate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	name := fs.String("name", "", "a name for the service that will hold the token")
	scope := fs.String("scope", "", "comma-separated scopes")
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("tokens create: unexpected argument %q", fs.Arg(0))
	}
	if *name == "" || *scope == "" {
		return usageErrorf("tokens create: --name and --scope are required")
	}
	token, rec, err := paywarden.NewToken(*name, api.ParseScopes(*scope))
	if err != nil {
		return usageErrorf("tokens create: %s", paywarden.ErrorMessage(err))
	}
	store, err := envStore(ctx, e, "tokens", true)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.CreateToken(ctx, rec); err != nil {
		return fmt.Errorf("tokens create: %w", err)
	}
	fmt.Fprintf(e.stderr, "Created token %s (%s) with scopes %s. It is shown once; paywarden keeps only its hash.\n",
		rec.ID, rec.Name, strings.Join(rec.Scopes, ","))
	fmt.Fprintln(e.stdout, token)
	return nil
}

// tokenView is a token as `tokens list --format json` prints it: never the
// token or its hash.
type tokenView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func tokensList(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("tokens list", flag.ContinueOnError)
	format := fs.String("format", "text", "output format: text or json")
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("tokens list: unexpected argument %q", fs.Arg(0))
	}
	if *format != "text" && *format != "json" {
		return usageErrorf("tokens list: --format must be text or json")
	}
	store, err := envStore(ctx, e, "tokens", true)
	if err != nil {
		return err
	}
	defer store.Close()
	toks, err := store.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("tokens list: %w", err)
	}
	if *format == "json" {
		views := []tokenView{}
		for _, t := range toks {
			views = append(views, tokenView{
				ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt.UTC(),
				LastUsedAt: optTime(t.LastUsedAt), RevokedAt: optTime(t.RevokedAt),
			})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(views)
	}
	return printTokens(e.stdout, toks)
}

func printTokens(w io.Writer, toks []*paywarden.Token) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tSTATUS")
	for _, t := range toks {
		status := "active"
		if t.Revoked() {
			status = "revoked " + t.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","),
			t.CreatedAt.UTC().Format(time.RFC3339), textTime(t.LastUsedAt), status)
	}
	return tw.Flush()
}

func tokensRevoke(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("tokens revoke", flag.ContinueOnError)
	if err := parseFlags(fs, args, e.stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("tokens revoke: want exactly one token id (tok_...)")
	}
	id := fs.Arg(0)
	if !strings.HasPrefix(id, "tok_") {
		// Not echoed: it may be the token itself, pasted by mistake.
		return usageErrorf("tokens revoke: the argument is not a token id (tok_...); revoke by id, as tokens list shows it")
	}
	store, err := envStore(ctx, e, "tokens", true)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.RevokeToken(ctx, id, time.Now()); err != nil {
		if paywarden.ErrorCode(err) == paywarden.ENOTFOUND {
			return fmt.Errorf("tokens revoke: no token %s", id)
		}
		return fmt.Errorf("tokens revoke: %w", err)
	}
	fmt.Fprintf(e.stdout, "Revoked %s.\n", id)
	return nil
}

// tokensStore opens the store of PAYWARDEN_DATABASE_URL. A database with
// pending migrations is migrated in development and refused otherwise, as
// serve does.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func textTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
