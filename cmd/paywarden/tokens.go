package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/api"
	"github.com/paywarden/paywarden/internal/config"
)

func init() {
	commands["tokens"] = command{summary: "create, list and revoke internal API tokens", run: tokensGroup.run}
}

var tokensGroup = group{name: "tokens", purpose: "create, list and revoke the bearer tokens of the internal API", subs: []subcommand{
	{"create", "create a token and print it once; paywarden keeps only its SHA-256", tokensCreate},
	{"list", "list tokens: id, name, scopes, created, last used, revoked", tokensList},
	{"revoke", "revoke a token by id", tokensRevoke},
}}

// createdToken is what tokens create --format json prints: the only time
// the token is shown.
type createdToken struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	Token  string   `json:"token"`
}

func tokensCreate(ctx context.Context, e *env) error {
	c := newCmdline("tokens create", "create an internal API token and print it once on stdout; paywarden stores only its SHA-256").
		note("Scopes: "+strings.Join(paywarden.Scopes, ", ")+".\n"+
			"admin allows every route. In development a missing database is created and migrated, as serve does;\n"+
			"in production run 'paywarden migrate' first.").
		example("paywarden tokens create --name billing-service --scope payments:read,payments:write",
			"paywarden tokens create --name dashboard --scope admin --format json")
	name := c.fs.String("name", "", "`NAME` of the service that will hold the token (required)")
	scope := c.fs.String("scope", "", "comma-separated `SCOPES` (required; see below)")
	format := c.format()
	c.database()
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	if *name == "" || *scope == "" {
		return c.usageError("--name and --scope are required")
	}
	token, rec, err := paywarden.NewToken(*name, api.ParseScopes(*scope))
	if err != nil {
		return c.usageError("%s", paywarden.ErrorMessage(err))
	}
	s, err := c.load(ctx, e, config.WithoutSecrets())
	if err != nil {
		return err
	}
	store, err := s.store(ctx, !s.cfg.Production())
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.CreateToken(ctx, rec); err != nil {
		return s.safe(fmt.Errorf("tokens create: %w", err))
	}
	if *format == "json" {
		// The token is the one secret paywarden shows: past the redactor.
		return writeJSON(e.secretOut(), createdToken{ID: rec.ID, Name: rec.Name, Scopes: rec.Scopes, Token: token})
	}
	fmt.Fprintf(e.stderr, "Created token %s (%s) with scopes %s. It is shown once; paywarden keeps only its hash.\n",
		rec.ID, rec.Name, strings.Join(rec.Scopes, ","))
	fmt.Fprintln(e.secretOut(), token)
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

func tokensList(ctx context.Context, e *env) error {
	c := newCmdline("tokens list", "list internal API tokens, never the tokens themselves (reads the database only)").
		example("paywarden tokens list", "paywarden tokens list --format json --database-url sqlite:var/paywarden-dev.db")
	format := c.format()
	c.database()
	if err := c.parse(e); err != nil {
		return err
	}
	if err := c.checkFormat(*format); err != nil {
		return err
	}
	store, s, err := c.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	toks, err := store.ListTokens(ctx)
	if err != nil {
		return s.safe(fmt.Errorf("tokens list: %w", err))
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

func tokensRevoke(ctx context.Context, e *env) error {
	c := newCmdline("tokens revoke", "revoke an internal API token at once; requests with it answer 401").
		arg("ID", "the token id (tok_...), as tokens list shows it; never the token itself").
		example("paywarden tokens revoke tok_8f3a2c1d")
	c.database()
	if err := c.parse(e); err != nil {
		return err
	}
	id := c.Args[0]
	if !strings.HasPrefix(id, "tok_") {
		// Not echoed: it may be the token itself, pasted by mistake.
		return c.usageError("the argument is not a token id (tok_...); revoke by id, as tokens list shows it")
	}
	store, _, err := c.openExisting(ctx, e)
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

// optTime returns t in UTC, or nil for the zero time.
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
