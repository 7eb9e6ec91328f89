package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/paywarden/paywarden/internal/config"
)

// cmdline is one command's flags, arguments and --help, so that every
// command parses the same way: flags before and after its arguments, an
// unknown flag or an extra argument refused in one line that points at
// --help, and a --help with the purpose, the arguments, each flag with its
// default and environment variable, and an example. A command adopts it in
// a few lines:
//
//	c := newCmdline("events show", "show one stored webhook event").
//		arg("ID", "the event id (evt_...)").
//		example("paywarden events show evt_123 --format json")
//	format := c.format()
//	c.database()
//	if err := c.parse(e); err != nil {
//		return err
//	}
//
// The standard flag package does the parsing: the model needs only a loop
// around it and a help printer, less than a CLI library would bring.
type cmdline struct {
	name     string // as typed after "paywarden": "events show"
	purpose  string
	args     []argDoc
	variadic bool // the last argument may repeat
	examples []string
	notes    string
	fs       *flag.FlagSet
	cfg      *config.Flags // nil for a command that loads no configuration

	// Args are the positional arguments once parsed.
	Args []string
}

type argDoc struct {
	name, help string
	optional   bool
}

func newCmdline(name, purpose string) *cmdline {
	c := &cmdline{name: name, purpose: purpose, fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.fs.SetOutput(io.Discard)
	return c
}

// arg documents a required positional argument.
func (c *cmdline) arg(name, help string) *cmdline {
	c.args = append(c.args, argDoc{name: name, help: help})
	return c
}

// optArg documents an optional positional argument; with many, the last
// may repeat.
func (c *cmdline) optArg(name, help string, many bool) *cmdline {
	c.args = append(c.args, argDoc{name: name, help: help, optional: true})
	c.variadic = many
	return c
}

func (c *cmdline) example(lines ...string) *cmdline {
	c.examples = append(c.examples, lines...)
	return c
}

// note adds a paragraph to --help after the flags.
func (c *cmdline) note(text string) *cmdline {
	c.notes = text
	return c
}

// database defines --config, --database-url and --env: every command that
// opens the database has them.
func (c *cmdline) database() { c.settings(config.DatabaseSettings...) }

// settings defines --config and the flags of the given configuration
// variables (every setting when none is given).
func (c *cmdline) settings(vars ...string) { c.cfg = config.DefineFlags(c.fs, vars...) }

// format defines --format, whose first value is the default.
func (c *cmdline) format(formats ...string) *string {
	if len(formats) == 0 {
		formats = []string{"text", "json"}
	}
	return c.fs.String("format", formats[0], "output `FORMAT`: "+orList(formats))
}

// checkFormat refuses a --format value that is not one of formats.
func (c *cmdline) checkFormat(got string, formats ...string) error {
	if len(formats) == 0 {
		formats = []string{"text", "json"}
	}
	for _, f := range formats {
		if got == f {
			return nil
		}
	}
	return c.usageError("--format must be %s, not %s", orList(formats), quoteArg(got))
}

func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// parse parses e.args: flags anywhere, positionals in order, "--" ending
// the flags. For -h or --help it prints the help on stdout and returns
// flag.ErrHelp, which report treats as success.
func (c *cmdline) parse(e *env) error { return c.parseArgs(e, e.args) }

func (c *cmdline) parseArgs(e *env, args []string) error {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.help(e.stdout)
				return err
			}
			msg := err.Error()
			if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				msg = "unknown flag --" + strings.TrimLeft(name, "-")
			} else if mayBeSecret(msg) {
				// flag's message quotes the value, which may be a secret.
				msg = "a flag has an invalid value " + quoteArg(msg)
			}
			return c.usageError("%s", msg)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	required, max := 0, len(c.args)
	for _, a := range c.args {
		if !a.optional {
			required++
		}
	}
	switch {
	case len(pos) < required:
		return c.usageError("want %s", c.argsLine())
	case len(pos) > max && !c.variadic:
		return c.usageError("unexpected argument %s", quoteArg(pos[max]))
	}
	c.Args = pos
	return nil
}

// quoteArg quotes an argument for a message, unless it may be a secret
// pasted in the wrong place.
func quoteArg(s string) string {
	if mayBeSecret(s) {
		return "(not shown: it looks like a secret; secrets belong in STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET or their _FILE forms)"
	}
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// mayBeSecret reports whether s holds what may be a Stripe key, a webhook
// secret, a paywarden token or a URL with a password.
func mayBeSecret(s string) bool {
	for _, p := range []string{"sk_", "rk_", "whsec_", "pwk_", "://"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// usageError is a one-line usage error that points at --help: exit 2.
func (c *cmdline) usageError(format string, a ...any) error {
	return usageErrorf("%s: %s; see 'paywarden %s --help'", c.name, fmt.Sprintf(format, a...), c.name)
}

func (c *cmdline) argsLine() string {
	var b []string
	for i, a := range c.args {
		s := a.name
		if c.variadic && i == len(c.args)-1 {
			s += "..."
		}
		if a.optional {
			s = "[" + s + "]"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

// help prints the command's help: purpose, usage, arguments, flags with
// their defaults and environment variables, notes and examples.
func (c *cmdline) help(w io.Writer) {
	fmt.Fprintf(w, "paywarden %s: %s\n\nUsage:\n  paywarden %s [flags]", c.name, c.purpose, c.name)
	if len(c.args) > 0 {
		fmt.Fprintf(w, " %s", c.argsLine())
	}
	fmt.Fprintln(w)
	if len(c.args) > 0 {
		fmt.Fprintln(w, "\nArguments:")
		for _, a := range c.args {
			fmt.Fprintf(w, "  %-12s %s\n", a.name, a.help)
		}
	}
	if len(c.args) > 0 {
		fmt.Fprintln(w, "\nFlags (before or after the arguments):")
	} else {
		fmt.Fprintln(w, "\nFlags:")
	}
	c.fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		usage = strings.TrimPrefix(usage, arg+": ")
		head := "--" + f.Name
		if arg != "" {
			head += " " + arg
		}
		if d := f.DefValue; d != "" && d != "false" && !strings.Contains(usage, "(default") {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		fmt.Fprintf(w, "  %s\n      %s\n", head, usage)
	})
	fmt.Fprintln(w, "  --help\n      print this help")
	if c.notes != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.notes))
	}
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "\nExample:")
		for _, ex := range c.examples {
			fmt.Fprintf(w, "  %s\n", ex)
		}
	}
}

// load loads the configuration with the flags parsed; configuration errors
// are exit 2.
func (c *cmdline) load(ctx context.Context, e *env, opts ...config.Option) (*setup, error) {
	if c.cfg == nil {
		c.settings()
	}
	opts = append([]config.Option{config.WithFlags(c.cfg), config.WithDotEnv(".env"), config.WithContext(ctx)}, opts...)
	cfg, err := config.Load(c.Args, e.getenv, opts...)
	if err != nil {
		return nil, configError(err)
	}
	if cfg.DatabaseURLFromFlag && urlHasPassword(cfg.DatabaseURL.Reveal()) {
		// As for keys: a flag shows in ps, /proc and shell history.
		return nil, configError(errors.New("--database-url holds a password, and flags show in ps and shell history: " +
			"give the URL in PAYWARDEN_DATABASE_URL_FILE, PAYWARDEN_DATABASE_URL or a secret reference"))
	}
	return newSetup(e, cfg), nil
}

// urlHasPassword reports whether a database URL carries a password.
func urlHasPassword(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return strings.Contains(s, "@") // unparsable: assume the worst
	}
	_, has := u.User.Password()
	return has || u.Query().Has("password")
}

// group is a command with subcommands, such as keys or events.
type group struct {
	name, purpose string
	subs          []subcommand
}

type subcommand struct {
	name, purpose string
	run           func(ctx context.Context, e *env) error
}

func (g group) usage(w io.Writer) {
	fmt.Fprintf(w, "paywarden %s: %s\n\nSubcommands:\n", g.name, g.purpose)
	for _, s := range g.subs {
		fmt.Fprintf(w, "  paywarden %s %-10s %s\n", g.name, s.name, s.purpose)
	}
	fmt.Fprintf(w, "\nRun 'paywarden %s <subcommand> --help' for its arguments, flags and an example.\n", g.name)
}

func (g group) run(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		return usageErrorf("%s: want a subcommand: %s; see 'paywarden %s --help'", g.name, g.names(), g.name)
	}
	name := e.args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		g.usage(e.stdout)
		return nil
	}
	for _, s := range g.subs {
		if s.name == name {
			se := *e
			se.args = e.args[1:]
			return s.run(ctx, &se)
		}
	}
	return usageErrorf("%s: unknown subcommand %s (want %s); see 'paywarden %s --help'", g.name, quoteArg(name), g.names(), g.name)
}

func (g group) names() string {
	n := make([]string, len(g.subs))
	for i, s := range g.subs {
		n[i] = s.name
	}
	return orList(n)
}
