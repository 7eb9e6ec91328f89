package main

// The release build in an empty root, and the systemd unit.

import (
	"context"
	"debug/elf"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// emptyRoot runs the release binary (make release) as the Dockerfile's
// FROM scratch image would: chrooted into a directory holding only the
// binary, the healthcheck probe, /data and the secret files, as uid 65532.
// `paywarden version` must run; `paywarden serve` in development on a SQLite
// file in /data must answer /healthz and /readyz 200 and take a signed
// event; the probe must exit 0.
func emptyRoot(ctx context.Context, s *suite, r *result) {
	bin := s.cfg.staticBin
	if _, err := os.Stat(bin); err != nil {
		r.skipf("no release binary at %s: run make release (make reliability does)", bin)
		return
	}
	if err := static(bin); err != nil {
		r.failf("%s: %v", bin, err)
		return
	}
	dir, err := s.caseDir("empty-root")
	if err != nil {
		r.failf("%v", err)
		return
	}
	root := filepath.Join(dir, "root")
	const uid = 65532
	for _, d := range []string{root, root + "/data", root + "/run/secrets"} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			r.failf("%v", err)
			return
		}
	}
	os.Chmod(root, 0o755)
	os.Chmod(root+"/run", 0o755)
	b, err := os.ReadFile(bin)
	if err == nil {
		err = os.WriteFile(root+"/paywarden", b, 0o755)
	}
	if err != nil {
		r.failf("%v", err)
		return
	}
	probe := exec.CommandContext(ctx, "go", "build", "-o", root+"/healthcheck", "./deploy/healthcheck")
	probe.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := probe.CombinedOutput(); err != nil {
		r.failf("building deploy/healthcheck: %v: %s", err, out)
		return
	}
	e, err := s.newEnv(root+"/run/secrets", "sqlite:/data/paywarden.db")
	if err != nil {
		r.failf("%v", err)
		return
	}
	// Inside the root the secrets are at /run/secrets, owned by the user.
	for _, k := range []string{"STRIPE_SECRET_KEY_FILE", "STRIPE_WEBHOOK_SECRET_FILE"} {
		host := e.vars[k]
		os.Chmod(host, 0o400)
		e = e.with(k, "/run/secrets/"+filepath.Base(host))
	}
	for _, p := range []string{root + "/data", root + "/run/secrets", root + "/run/secrets/stripe_secret_key", root + "/run/secrets/stripe_webhook_secret"} {
		if err := os.Chown(p, uid, uid); err != nil {
			r.skipf("chown to uid %d refused (needs root): %v", uid, err)
			return
		}
	}
	chroot := []string{"chroot", fmt.Sprintf("--userspec=%d:%d", uid, uid), root}
	out, err := exec.CommandContext(ctx, chroot[0], append(chroot[1:], "/paywarden", "version")...).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "Operation not permitted") {
			r.skipf("chroot refused: %s", strings.TrimSpace(string(out)))
			return
		}
		r.failf("paywarden version in the empty root: %v: %s", err, out)
		return
	}
	version := strings.SplitN(string(out), "\n", 2)[0]
	p, err := s.serveBin(ctx, root, e, "/paywarden", chroot...)
	if err != nil {
		r.failf("serve in the empty root: %v", err)
		return
	}
	c := newClient(s.cfg.timeout, 1)
	health, ready := getStatus(ctx, c, p.URL+"/healthz"), getStatus(ctx, c, p.URL+"/readyz")
	if health != 200 || ready != 200 {
		r.failf("/healthz %d, /readyz %d: want 200 and 200", health, ready)
	}
	l := newLedger(1, 0)
	id, body := l.next(false)
	a := send(ctx, c, p.URL, e.secret, body)
	if a.err != nil || a.status != 200 {
		r.failf("a signed event: %d %v, want 200", a.status, a.err)
	}
	u, _ := url.Parse(p.URL)
	pc := exec.CommandContext(ctx, chroot[0], append(chroot[1:], "/healthcheck")...)
	pc.Env = []string{"PAYWARDEN_ADDR=" + u.Host}
	probeOut, probeErr := pc.CombinedOutput()
	if probeErr != nil {
		r.failf("the healthcheck probe in the empty root: %v: %s", probeErr, probeOut)
	}
	if err := p.stop(); err != nil {
		r.failf("serve after SIGTERM: %v", err)
	}
	fi, err := os.Stat(root + "/data/paywarden.db")
	if err != nil {
		r.failf("no database in /data: %v", err)
	}
	entries, _ := os.ReadDir(root)
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	r.figures = fmt.Sprintf("%s (static, %d MiB) in a root holding only %s, as uid %d: %q; serve: /healthz %d, /readyz %d, event %s answered %d, probe exit %v; /data/paywarden.db %d KiB",
		filepath.Base(bin), len(b)>>20, strings.Join(names, ", "), uid, version, health, ready, id, a.status, exitCode(probeErr), size(fi)>>10)
}

func size(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// static returns an error unless the ELF file at path is statically
// linked: no program interpreter and no shared libraries needed.
func static(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("dynamically linked (it names a program interpreter)")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return fmt.Errorf("dynamically linked against %s", strings.Join(libs, ", "))
	}
	return nil
}

// systemdUnit checks deploy/systemd/paywarden.service with
// systemd-analyze verify (its ExecStart pointed at the release binary, as
// verify wants an executable), and that it keeps secrets out of the unit:
// credentials for every secret, the sandbox directives in place.
func systemdUnit(ctx context.Context, s *suite, r *result) {
	const unit = "deploy/systemd/paywarden.service"
	b, err := os.ReadFile(unit)
	if err != nil {
		r.failf("%v", err)
		return
	}
	text := string(b)
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=paywarden", "NoNewPrivileges=yes",
		"LoadCredential=stripe_secret_key:", "LoadCredential=stripe_webhook_secret:",
		"Environment=STRIPE_SECRET_KEY_FILE=%d/", "Environment=STRIPE_WEBHOOK_SECRET_FILE=%d/", "CapabilityBoundingSet=\n"} {
		if !strings.Contains(text, want) {
			r.failf("%s lacks %q", unit, strings.TrimSpace(want))
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "Environment=STRIPE_SECRET_KEY=") || strings.HasPrefix(l, "Environment=STRIPE_WEBHOOK_SECRET=") {
			r.failf("%s sets a secret in the environment: %s=...", unit, strings.SplitN(l, "=", 3)[1])
		}
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		r.skipf("systemd-analyze is not installed (apt-get install systemd); the directives were checked")
		return
	}
	bin, err := filepath.Abs(s.cfg.staticBin)
	if _, serr := os.Stat(bin); err != nil || serr != nil {
		bin = s.bin
	}
	dir, err := s.caseDir("systemd")
	if err != nil {
		r.failf("%v", err)
		return
	}
	tmp := filepath.Join(dir, "paywarden.service")
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(text, "/usr/local/bin/paywarden", bin)), 0o644); err != nil {
		r.failf("%v", err)
		return
	}
	out, err := exec.CommandContext(ctx, sa, "verify", tmp).CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if err != nil || msg != "" {
		r.failf("systemd-analyze verify: %v: %s", err, msg)
	}
	v, _ := exec.CommandContext(ctx, sa, "--version").Output()
	r.figures = fmt.Sprintf("systemd-analyze verify clean (%s); LoadCredential for the key, webhook secret and TLS files, DynamicUser, ProtectSystem=strict, no secret in the environment",
		strings.SplitN(string(v), " (", 2)[0])
}
