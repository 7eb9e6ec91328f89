package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/config"
)

func checkConfig(o Options) Check {
	if o.ConfigErr != nil {
		return fail("configuration", "fix what the message names (docs/CONFIGURATION.md); serve refuses to start until then",
			"%s", message(o.ConfigErr))
	}
	cfg := o.Config
	if cfg == nil {
		return fail("configuration", "fix the configuration (docs/CONFIGURATION.md)", "no configuration loaded")
	}
	where := "environment"
	if cfg.ConfigFile != "" {
		where = "environment and " + cfg.ConfigFile
	}
	return ok("configuration", "loads as serve would load it (%s, from the %s)", cfg.Env, where)
}

// checkMode compares the environment with the keys' mode.
func checkMode(cfg *config.Config) Check {
	if cfg.Secrets == nil {
		return ok("mode", "%s (keys not loaded)", cfg.Env)
	}
	live := cfg.Secrets.Livemode()
	mode := map[bool]string{true: "live", false: "test"}[live]
	switch {
	case cfg.Production() && !live:
		return fail("mode", "use live keys in production, or set PAYWARDEN_ENV=development for test keys",
			"production with %s-mode keys", mode)
	case !cfg.Production() && live:
		return fail("mode", "use test keys in development: a live key moves real money",
			"development with %s-mode keys", mode)
	case cfg.AllowMixedMode:
		return warn("mode", "unset PAYWARDEN_ALLOW_MIXED_MODE once the keys are of one mode",
			"%s with %s-mode keys; PAYWARDEN_ALLOW_MIXED_MODE=true lets the modes mix", cfg.Env, mode)
	}
	return ok("mode", "%s with %s-mode keys", cfg.Env, mode)
}

// checkTLS reads the certificate, if any, and its expiry.
func checkTLS(cfg *config.Config, now time.Time) Check {
	switch {
	case cfg.TLSCertFile != "":
		pair, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return fail("tls", "point PAYWARDEN_TLS_CERT_FILE and PAYWARDEN_TLS_KEY_FILE at a readable PEM certificate and its key",
				"the certificate %s does not load", cfg.TLSCertFile)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return fail("tls", "replace the certificate", "the certificate %s does not parse", cfg.TLSCertFile)
		}
		left := leaf.NotAfter.Sub(now)
		switch {
		case left <= 0:
			return fail("tls", "renew the certificate", "the certificate %s expired on %s", cfg.TLSCertFile, leaf.NotAfter.Format(time.DateOnly))
		case left < 14*24*time.Hour:
			return warn("tls", "renew the certificate before it expires", "the certificate %s expires on %s", cfg.TLSCertFile, leaf.NotAfter.Format(time.DateOnly))
		}
		return ok("tls", "certificate %s valid until %s", cfg.TLSCertFile, leaf.NotAfter.Format(time.DateOnly))
	case cfg.TLSTerminatedUpstream:
		return ok("tls", "plain HTTP behind a TLS-terminating proxy (PAYWARDEN_TLS_TERMINATED_UPSTREAM=true)")
	case !cfg.Production():
		return ok("tls", "development: a self-signed certificate is made at start")
	}
	return fail("tls", "set PAYWARDEN_TLS_CERT_FILE and PAYWARDEN_TLS_KEY_FILE, or PAYWARDEN_TLS_TERMINATED_UPSTREAM=true behind a proxy",
		"production without a certificate")
}

// checkAdminAddr warns when metrics and pprof listen beyond loopback.
func checkAdminAddr(cfg *config.Config) Check {
	host, _, err := net.SplitHostPort(cfg.AdminAddr)
	if err != nil {
		return fail("admin listener", "set PAYWARDEN_ADMIN_ADDR to host:port, such as 127.0.0.1:9090", "%q is not host:port", cfg.AdminAddr)
	}
	if host == "localhost" {
		return ok("admin listener", "%s is loopback", cfg.AdminAddr)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ok("admin listener", "%s is loopback", cfg.AdminAddr)
	}
	return warn("admin listener", "bind PAYWARDEN_ADMIN_ADDR to 127.0.0.1, or firewall it to Prometheus only: pprof can dump memory",
		"metrics and pprof listen on %s, beyond loopback", cfg.AdminAddr)
}

// checkDatabaseFlag fails a password given on the command line.
func checkDatabaseFlag(cfg *config.Config) Check {
	if cfg.DatabaseURLFromFlag {
		if u, err := url.Parse(cfg.DatabaseURL.Reveal()); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				return fail("database password", "pass the URL in PAYWARDEN_DATABASE_URL_FILE (or the environment), never as --database-url",
					"--database-url holds a password: it shows in ps and shell history")
			}
		}
	}
	return ok("database password", "not on the command line")
}

// checkDatabaseFiles checks who may read the SQLite file and write its
// directory.
func checkDatabaseFiles(cfg *config.Config) []Check {
	path, isSQLite := strings.CutPrefix(cfg.DatabaseURL.Reveal(), "sqlite:")
	if !isSQLite {
		return []Check{ok("database files", "PostgreSQL: access is the server's to control")}
	}
	path = strings.TrimPrefix(path, "//")
	var checks []Check
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		checks = append(checks, ok("database file", "%s does not exist yet", path))
	case err != nil:
		checks = append(checks, fail("database file", "make the database file readable by paywarden's user", "%s: %v", path, err))
	case fi.Mode().Perm()&0o004 != 0:
		checks = append(checks, fail("database file", "chmod 600 "+path+": it holds event payloads and token hashes",
			"%s is mode %04o: anyone on the host can read it", path, fi.Mode().Perm()))
	case fi.Mode().Perm()&0o070 != 0:
		checks = append(checks, warn("database file", "chmod 600 "+path+" unless the group is paywarden's alone",
			"%s is mode %04o: its group can read it", path, fi.Mode().Perm()))
	default:
		checks = append(checks, ok("database file", "%s is mode %04o", path, fi.Mode().Perm()))
	}
	dir := filepath.Dir(path)
	if di, err := os.Stat(dir); err == nil {
		if di.Mode().Perm()&0o002 != 0 && di.Mode()&fs.ModeSticky == 0 {
			checks = append(checks, fail("database directory", "chmod o-w "+dir+": anyone could replace the database",
				"%s is writable by others", dir))
		} else {
			checks = append(checks, ok("database directory", "%s is not writable by others", dir))
		}
	}
	return checks
}

// checkKeyKinds recommends restricted keys in production.
func checkKeyKinds(cfg *config.Config) Check {
	var secret []string
	for c, k := range cfg.Secrets.Keys() {
		if k.Info.Kind == paywarden.KeySecret {
			secret = append(secret, c)
		}
	}
	slices.Sort(secret)
	if len(secret) > 0 && cfg.Production() {
		return warn("key kinds", "give each capability a restricted key (PAYWARDEN_PAYMENTS_KEY, _BILLING_KEY, _READ_KEY) with only its permissions",
			"unrestricted secret keys serve %s", strings.Join(secret, ", "))
	}
	n := len(cfg.Secrets.Keys())
	return ok("key kinds", "%d key(s); unrestricted: %s", n, orNone(secret))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// checkSecretFiles fails a secret file that group or others can read.
func checkSecretFiles(files []string) Check {
	if len(files) == 0 {
		return ok("secret files", "no secret is read from a file")
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return fail("secret files", "make "+f+" readable by paywarden's user only", "%s: cannot stat it", f)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return fail("secret files", "chmod 600 "+f, "%s is mode %04o: group or others can read a secret", f, fi.Mode().Perm())
		}
	}
	return ok("secret files", "%d file(s), readable by their owner only", len(files))
}

// checkDatabase checks migrations, events that need an operator, and key
// ages.
func checkDatabase(ctx context.Context, o Options) []Check {
	if o.Store == nil {
		err := o.StoreErr
		if err == nil {
			err = errors.New("the database was not opened")
		}
		return []Check{fail("database", "run 'paywarden migrate', or point PAYWARDEN_DATABASE_URL at the database serve uses", "%s", firstLine(err))}
	}
	var checks []Check
	n, err := o.Store.PendingMigrations(ctx)
	switch {
	case err != nil:
		checks = append(checks, fail("migrations", "check that the database is reachable", "%s", firstLine(err)))
	case n > 0:
		checks = append(checks, fail("migrations", "run 'paywarden migrate' (production serve refuses to start until then)", "%d pending migration(s)", n))
	default:
		checks = append(checks, ok("migrations", "the database is current"))
	}
	if counts, err := o.Store.CountEvents(ctx); err != nil {
		checks = append(checks, fail("events", "check that the database is reachable", "%s", firstLine(err)))
	} else {
		checks = append(checks, checkEvents(counts))
	}
	checks = append(checks, checkKeyAges(ctx, o))
	return checks
}

func checkEvents(counts map[paywarden.EventStatus]int) Check {
	dead, quarantined, failed := counts[paywarden.EventDead], counts[paywarden.EventQuarantined], counts[paywarden.EventFailed]
	switch {
	case dead > 0:
		return fail("events", "see why with 'paywarden events list --status dead', fix the cause, then 'paywarden events replay --status dead'",
			"%d dead, %d quarantined, %d failed", dead, quarantined, failed)
	case quarantined > 0:
		return warn("events", "an endpoint sends another API version: see docs/OPERATIONS.md (upgrade the API version), then 'paywarden events replay --status quarantined'",
			"%d quarantined, %d failed", quarantined, failed)
	case failed > 0:
		return warn("events", "they are retried; see why with 'paywarden events list --status failed'", "%d failed", failed)
	}
	return ok("events", "none dead, quarantined or failed (%d processed, %d pending)", counts[paywarden.EventProcessed], counts[paywarden.EventPending])
}

// checkKeyAges compares when each configured key was first seen with
// KeyMaxAge.
func checkKeyAges(ctx context.Context, o Options) Check {
	if o.Config == nil || o.Config.Secrets == nil {
		return ok("key age", "keys not loaded")
	}
	records, err := o.Store.Keys(ctx)
	if err != nil {
		return fail("key age", "check that the database is reachable", "%s", firstLine(err))
	}
	var due []string
	for c, k := range o.Config.Secrets.Keys() {
		for _, r := range records {
			if r.Capability == c && r.Fingerprint == k.Value.Fingerprint() && o.Now().Sub(r.FirstSeen) > o.KeyMaxAge {
				due = append(due, fmt.Sprintf("%s (%s, %d days)", c, r.Fingerprint, int(o.Now().Sub(r.FirstSeen).Hours()/24)))
			}
		}
	}
	slices.Sort(due)
	if len(due) > 0 {
		return warn("key age", "roll them: docs/OPERATIONS.md, roll a secret key with zero downtime",
			"older than %d days: %s", int(o.KeyMaxAge.Hours()/24), strings.Join(due, ", "))
	}
	return ok("key age", "every key younger than %d days (PAYWARDEN_KEY_MAX_AGE)", int(o.KeyMaxAge.Hours()/24))
}

func checkReloads(ctx context.Context, failures func(context.Context) (float64, error)) Check {
	n, err := failures(ctx)
	switch {
	case err != nil:
		return ok("secret reloads", "no running serve answered (%s); nothing to check", firstLine(err))
	case n > 0:
		return fail("secret reloads", "serve kept the old secrets: read its log for 'secret reload failed' and fix the secret it names",
			"a running serve failed %d reload(s)", int(n))
	}
	return ok("secret reloads", "a running serve has failed none")
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(message(err), "\n")
	return s
}

// message is a paywarden error's safe message, or the text of another
// error: configuration and store errors name variables and files, never
// values, and the command redacts every loaded secret besides.
func message(err error) string {
	var pe *paywarden.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
