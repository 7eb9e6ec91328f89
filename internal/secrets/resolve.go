package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// A Fetcher reads a secret from a secrets manager. The awssm and vault
// packages implement it. Errors may name the reference, never a value.
type Fetcher interface {
	Fetch(ctx context.Context, ref Ref) (string, error)
}

// Resolver turns Refs into secret values.
type Resolver struct {
	// Getenv reads the environment for env: references. The process
	// environment is never read directly.
	Getenv func(string) string
	// Production refuses secret files that group or others can read.
	Production bool
	// NewAWS and NewVault build the Fetchers for awssm: and vault:
	// references on first use, so that nothing of AWS or Vault is loaded
	// when no reference needs it. Nil means the scheme is not available.
	NewAWS   func(ctx context.Context) (Fetcher, error)
	NewVault func(ctx context.Context) (Fetcher, error)

	mu    sync.Mutex
	aws   Fetcher
	vault Fetcher
}

// Resolve returns the value ref stands for: trimmed of one trailing newline
// when it comes from a file, never empty. Errors say where the secret was
// looked for, never what was found.
func (r *Resolver) Resolve(ctx context.Context, ref Ref) (string, error) {
	var v string
	var err error
	switch ref.Scheme {
	case SchemeLiteral:
		v = ref.literal
	case SchemeEnv:
		if r.Getenv != nil {
			v = r.Getenv(ref.Name)
		}
		if v == "" {
			return "", fmt.Errorf("env:%s: variable %s is not set", ref.Name, ref.Name)
		}
	case SchemeFile:
		v, err = ReadFile(ref.Name, r.Production)
	case SchemeAWSSM, SchemeVault:
		var f Fetcher
		if f, err = r.fetcher(ctx, ref.Scheme); err == nil {
			v, err = f.Fetch(ctx, ref)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", ref, err)
		}
	default:
		err = fmt.Errorf("unknown reference scheme %q", ref.Scheme)
	}
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("%s: is empty", ref)
	}
	return v, nil
}

func (r *Resolver) fetcher(ctx context.Context, scheme string) (Fetcher, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	slot, build := &r.aws, r.NewAWS
	if scheme == SchemeVault {
		slot, build = &r.vault, r.NewVault
	}
	if *slot != nil {
		return *slot, nil
	}
	if build == nil {
		return nil, fmt.Errorf("%s: references are not available here", scheme)
	}
	f, err := build(ctx)
	if err != nil {
		return nil, err
	}
	*slot = f
	return f, nil
}

// ErrInsecureFile is the error of ReadFile for a secret file that group or
// others can read, in production.
var ErrInsecureFile = errors.New("secret file readable by group or others")

// ReadFile reads a secret file: its content trimmed of one trailing newline
// (editors and `echo` add one; nothing else is trimmed, a secret may end in
// spaces). An empty file is an error. With strict, a file that group or
// others may read is refused: on a shared host that is a leaked key.
func ReadFile(path string, strict bool) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("secret file %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("secret file %s: %w", path, err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("secret file %s is a directory", path)
	}
	if strict && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s (in Kubernetes set defaultMode: 0400 on the secret volume)",
			ErrInsecureFile, path, fi.Mode().Perm(), path)
	}
	// Secrets are small; a huge file is a mistake, not a secret.
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("secret file %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("secret file %s is larger than 64 KiB", path)
	}
	v, ok := strings.CutSuffix(string(b), "\r\n")
	if !ok {
		v = strings.TrimSuffix(v, "\n")
	}
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return v, nil
}

const maxSecretFile = 64 << 10
