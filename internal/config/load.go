package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/paywarden/paywarden/internal/secrets"
)

// Option changes what Load requires or where it looks.
type Option func(*options)

type options struct {
	ctx              context.Context
	withoutSecrets   bool
	withoutListener  bool
	keysOnly         bool
	anyMode          bool
	fs               *flag.FlagSet
	flags            *Flags
	dotenv           string
	environ          []string
	newAWS, newVault func(context.Context) (secrets.Fetcher, error)
	now              func() time.Time
}

// WithoutSecrets loads the configuration without the Stripe secrets: they
// are neither required nor read, and TLS is not required either. For
// commands that need the database only (migrate, tokens, events list).
func WithoutSecrets() Option { return func(o *options) { o.withoutSecrets = true } }

// WithoutListener requires the secrets but not the TLS settings of a
// listening server. For commands that call Stripe but serve nothing
// (keys verify, doctor, sync).
func WithoutListener() Option { return func(o *options) { o.withoutListener = true } }

// WithContext bounds the reading of secrets from secrets managers.
func WithContext(ctx context.Context) Option { return func(o *options) { o.ctx = ctx } }

// WithFlagSet parses args with fs, after adding paywarden's flags to it, so
// that a command keeps its own flags. Without it Load uses a FlagSet of
// its own. Either way, the arguments left are Config.Args.
func WithFlagSet(fs *flag.FlagSet) Option { return func(o *options) { o.fs = fs } }

// WithDotEnv names the .env file read in development (usually ".env" in the
// working directory). Without it no .env is read.
func WithDotEnv(path string) Option { return func(o *options) { o.dotenv = path } }

// WithEnviron gives the environment as a list of NAME=value, so that
// named webhook endpoints (STRIPE_WEBHOOK_SECRET_<NAME>) can be found:
// getenv cannot list variables. Without it, endpoints are found only in
// PAYWARDEN_WEBHOOK_ENDPOINTS, the .env file and the config file.
func WithEnviron(environ []string) Option { return func(o *options) { o.environ = environ } }

// WithFetchers replaces the AWS Secrets Manager and Vault clients that
// awssm: and vault: references use (tests point them at fakes).
func WithFetchers(newAWS, newVault func(context.Context) (secrets.Fetcher, error)) Option {
	return func(o *options) { o.newAWS, o.newVault = newAWS, newVault }
}

// WithNow sets the clock that decides which webhook secrets are active.
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Load reads the configuration from flags in args, the environment through
// getenv, a .env file (development only) and the --config file, and checks
// it. It fails closed: any problem is an *Error listing every problem
// found. For -h or --help it returns flag.ErrHelp after printing the flags
// to the FlagSet's output.
func Load(args []string, getenv func(string) string, opts ...Option) (*Config, error) {
	o := options{ctx: context.Background(), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	p := &parser{getenv: getenv, opts: o}
	cfg, err := p.load(args)
	if err != nil {
		return nil, err
	}
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return cfg, nil
}

// parser gathers the sources and the problems of one Load.
type parser struct {
	getenv   func(string) string
	opts     options
	flags    map[string]string // by variable
	dotenv   map[string]string
	dotPath  string
	file     *fileSource
	problems []string
	warnings []string
}

func (p *parser) problem(format string, a ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, a...))
}

func (p *parser) load(args []string) (*Config, error) {
	cfg := &Config{priv: &private{}}
	if err := p.parseFlags(args, cfg); err != nil {
		return nil, err
	}
	if cfg.ConfigFile != "" {
		var problems []string
		p.file, problems = readFile(cfg.ConfigFile)
		p.problems = append(p.problems, problems...)
	}

	// The environment decides whether .env is read, so it is read first
	// from everything but .env.
	cfg.Env = EnvProduction
	if v, where, ok := p.lookup(VarEnv); ok {
		switch v = strings.ToLower(strings.TrimSpace(v)); v {
		case EnvProduction, EnvDevelopment:
			cfg.Env = v
		default:
			p.problem("%s must be production or development", where)
		}
	}
	p.readDotEnv(cfg)

	p.settings(cfg)
	p.secrets(cfg)
	p.checkAPIVersion(cfg)
	if !p.opts.withoutSecrets && !p.opts.withoutListener && !p.opts.keysOnly {
		p.checkTLS(cfg)
	}
	cfg.Warnings = p.warnings
	return cfg, nil
}

// parseFlags defines a flag for --config and for every setting, and parses
// args. Only flags actually given are recorded, so that an unset flag does
// not hide the environment.
func (p *parser) parseFlags(args []string, cfg *Config) error {
	if f := p.opts.flags; f != nil {
		p.flags, cfg.ConfigFile, cfg.Args = f.values, f.configFile, args
	} else {
		fs := p.opts.fs
		if fs == nil {
			fs = flag.NewFlagSet("paywarden", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
		}
		f := DefineFlags(fs)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return &Error{Problems: []string{err.Error()}}
		}
		p.flags, cfg.ConfigFile, cfg.Args = f.values, f.configFile, fs.Args()
	}
	for v, val := range p.flags {
		if looksSecret(val) {
			p.problem("flag --%s holds what looks like a Stripe key or webhook secret; secrets are never given as flags (they show in ps and shell history): use %s, %s_FILE or a reference", flagName(v), VarStripeSecretKey, VarStripeSecretKey)
		}
	}
	if looksSecret(cfg.ConfigFile) || slices.ContainsFunc(cfg.Args, looksSecret) {
		p.problem("the command line holds what looks like a Stripe key or webhook secret; secrets are never given as arguments: use %s, %s_FILE or a reference", VarStripeSecretKey, VarStripeSecretKey)
	}
	return nil
}

// flagValue records a flag into a map by variable.
type flagValue struct {
	v      string
	into   map[string]string
	isBool bool
}

func (f *flagValue) String() string {
	if f == nil || f.into == nil {
		return ""
	}
	return f.into[f.v]
}

func (f *flagValue) Set(s string) error { f.into[f.v] = s; return nil }

func (f *flagValue) IsBoolFlag() bool { return f.isBool }

// readDotEnv reads .env in development only. In production a .env present
// is left unread, with a warning, since someone expected it to count.
func (p *parser) readDotEnv(cfg *Config) {
	if p.opts.dotenv == "" {
		return
	}
	if cfg.Env != EnvDevelopment {
		if values, _, _ := readDotEnv(p.opts.dotenv); values != nil {
			p.warnings = append(p.warnings, fmt.Sprintf("%s is not read in production; set the variables in the environment", p.opts.dotenv))
		}
		return
	}
	values, problems, err := readDotEnv(p.opts.dotenv)
	if err != nil {
		p.problem("%v", err)
		return
	}
	p.problems = append(p.problems, problems...)
	if values == nil {
		return
	}
	p.dotenv, p.dotPath = values, p.opts.dotenv
	if !gitIgnored(p.opts.dotenv) {
		p.warnings = append(p.warnings, fmt.Sprintf("%s is not ignored by .gitignore; add .env to .gitignore so that its secrets are never committed", p.opts.dotenv))
	}
}

// lookup finds a setting: flags, then the environment, then .env, then the
// config file. where names the source for messages.
func (p *parser) lookup(v string) (val, where string, ok bool) {
	if s, ok := p.flags[v]; ok {
		return s, "flag --" + flagName(v), true
	}
	if s := p.getenv(v); s != "" {
		return s, v, true
	}
	if s, ok := p.dotenv[v]; ok && s != "" {
		return s, fmt.Sprintf("%s (in %s)", v, p.dotPath), true
	}
	if p.file != nil {
		if s, ok := p.file.values[v]; ok {
			return s, fmt.Sprintf("config file %s line %d: %s", p.file.path, p.file.lines[v], tomlKey(v)), true
		}
	}
	return "", v, false
}

// lookupSecret finds a secret: the environment, then .env, then the config
// file; flags never hold secrets. At each level X and X_FILE are exclusive.
// The result is a literal or a reference, as a secrets.Spec wants it.
func (p *parser) lookupSecret(v string) (configured, origin string, ok bool) {
	type level struct {
		get    func(string) string
		origin string
	}
	levels := []level{{p.getenv, "environment"}}
	if p.dotenv != nil {
		levels = append(levels, level{func(k string) string { return p.dotenv[k] }, ".env file " + p.dotPath})
	}
	if p.file != nil {
		levels = append(levels, level{func(k string) string { return p.file.values[k] }, "config file " + p.file.path})
	}
	for _, l := range levels {
		val, file := l.get(v), l.get(v+"_FILE")
		switch {
		case val != "" && file != "":
			p.problem("%s and %s_FILE are both set (%s); set one", v, v, l.origin)
			return "", "", false
		case val != "":
			if p.file != nil && l.origin == "config file "+p.file.path && v != VarDatabaseURL {
				if ref, err := secrets.ParseRef(val); err == nil && ref.Scheme == secrets.SchemeLiteral {
					p.problem("config file %s line %d: %s must be a reference (env:, file:, awssm:, vault:) or %s_file, never the secret itself",
						p.file.path, p.file.lines[v], tomlKey(v), tomlKey(v))
					return "", "", false
				}
			}
			return val, l.origin, true
		case file != "":
			if l.origin == "environment" {
				return "file:" + file, v + "_FILE", true
			}
			return "file:" + file, l.origin + " (" + v + "_FILE)", true
		}
	}
	return "", "", false
}
