package config

import (
	"flag"
	"fmt"
	"slices"
)

// settingDocs describes each setting for --help: what it is, its default
// as a user would write it, and the placeholder of its value.
var settingDocs = map[string]struct{ help, def, arg string }{
	VarEnv:                   {"production or development", EnvProduction, "ENV"},
	VarDatabaseURL:           {"database: sqlite:PATH or postgres://... (a password belongs in " + VarDatabaseURL + "_FILE, not a flag)", defaultDatabaseURL, "URL"},
	VarAddr:                  {"HTTPS listen address", defaultAddr, "ADDR"},
	VarAdminAddr:             {"metrics and pprof listen address", defaultAdminAddr, "ADDR"},
	VarTLSCertFile:           {"TLS certificate file", "development: self-signed", "FILE"},
	VarTLSKeyFile:            {"TLS private key file", "development: self-signed", "FILE"},
	VarTLSTerminatedUpstream: {"serve plain HTTP behind a TLS-terminating proxy", "false", ""},
	VarStripeAPIVersion:      {"the Stripe API version you expect; must equal the pinned one", "the pinned version", "VERSION"},
	VarStripeAPIBase:         {"base URL of the Stripe API (stripe-mock in tests)", "Stripe", "URL"},
	VarWebhookTolerance:      {"webhook signature timestamp tolerance, both directions", defaultWebhookTolerance, "DURATION"},
	VarAllowMixedMode:        {"allow test keys in production and live keys in development", "false", ""},
	VarSecretsRefresh:        {"how often secrets from a secrets manager are re-read; 0 disables", defaultSecretsRefresh, "DURATION"},
	VarLogLevel:              {"debug, info, warn or error", "info", "LEVEL"},
	VarLogFormat:             {"json or text", "json; development: text", "FORMAT"},
	VarWebhookMaxBody:        {"largest webhook body accepted", "512KiB", "SIZE"},
	VarStripeRateLimit:       {"outbound requests per second to Stripe", "80 live, 20 test", "N"},
	VarWebhookEndpoints:      {"named webhook endpoints (STRIPE_WEBHOOK_SECRET_<NAME>), comma-separated", "none", "NAMES"},
	VarSubscribers:           {"internal services that receive verified events", "none", "LIST"},
}

// DatabaseSettings are the flags of a command that only opens the
// database: which one, and the environment that decides whether pending
// migrations are applied.
var DatabaseSettings = []string{VarDatabaseURL, VarEnv}

// Flags are the configuration flags of one command, defined on its
// FlagSet by DefineFlags. The command parses the FlagSet itself (flags
// before and after its arguments) and hands the result to Load with
// WithFlags. Only flags actually given are recorded, so that an unset
// flag does not hide the environment.
type Flags struct {
	values     map[string]string // by variable
	configFile string
}

// DefineFlags defines --config and a flag for each of vars (all settings
// when vars is empty) on fs. Each flag's usage names its default and its
// environment variable.
func DefineFlags(fs *flag.FlagSet, vars ...string) *Flags {
	f := &Flags{values: map[string]string{}}
	fs.StringVar(&f.configFile, "config", "", "TOML config `FILE`; flags win over the environment, which wins over the file")
	if len(vars) == 0 {
		vars = settings
	}
	for _, v := range settings {
		if !slices.Contains(vars, v) {
			continue
		}
		d := settingDocs[v]
		usage := fmt.Sprintf("%s (default %s; env %s)", d.help, d.def, v)
		if d.arg != "" {
			usage = "`" + d.arg + "`: " + usage
		}
		fs.Var(&flagValue{v: v, into: f.values, isBool: boolSettings[v]}, flagName(v), usage)
	}
	return f
}

// Given reports whether the flag of variable v was given.
func (f *Flags) Given(v string) bool {
	_, ok := f.values[v]
	return ok
}

// WithFlags reads the flags of a FlagSet that DefineFlags prepared and the
// command already parsed; Load then ignores its args for flags and keeps
// them as Config.Args.
func WithFlags(f *Flags) Option { return func(o *options) { o.flags = f } }

// WithKeysOnly loads the Stripe keys and nothing else secret: no webhook
// secrets, no subscribers, no TLS. For commands that call Stripe but
// receive nothing (keys, events reconcile).
func WithKeysOnly() Option { return func(o *options) { o.keysOnly = true } }

// WithAnyMode accepts keys of either mode in either environment, for
// commands that describe the keys (keys status, keys verify) and show a
// mode mismatch rather than refuse it.
func WithAnyMode() Option { return func(o *options) { o.anyMode = true } }
