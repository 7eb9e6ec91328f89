// Package vault reads secrets from HashiCorp Vault's KV version 2 secrets
// engine for vault: references (see secrets.ParseRef), through Vault's
// official API client.
//
// The server is VAULT_ADDR. paywarden authenticates with VAULT_TOKEN or,
// when VAULT_ROLE_ID and VAULT_SECRET_ID are set, with AppRole, logging in
// again when its token has expired. VAULT_NAMESPACE is honoured.
package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"

	"github.com/paywarden/paywarden/internal/secrets"
)

// Client reads vault: references. It implements secrets.Fetcher.
type Client struct {
	c *api.Client

	mu    sync.Mutex // guards login
	login func(ctx context.Context) error
	ready bool
}

// New returns a Client configured from getenv (VAULT_ADDR, VAULT_TOKEN,
// VAULT_ROLE_ID, VAULT_SECRET_ID, VAULT_NAMESPACE); the Vault client's own
// reading of the process environment is overridden by these. TLS settings
// (VAULT_CACERT, ...) are the client's.
func New(ctx context.Context, getenv func(string) string) (*Client, error) {
	addr := getenv("VAULT_ADDR")
	if addr == "" {
		return nil, errors.New("VAULT_ADDR is not set")
	}
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault configuration: %w", cfg.Error)
	}
	cfg.Address = addr
	cfg.AgentAddress = ""
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	c.ClearToken() // the client read VAULT_TOKEN from the process; getenv decides
	if ns := getenv("VAULT_NAMESPACE"); ns != "" {
		c.SetNamespace(ns)
	}
	cl := &Client{c: c}
	roleID, secretID := getenv("VAULT_ROLE_ID"), getenv("VAULT_SECRET_ID")
	switch {
	case roleID != "" && secretID != "":
		auth, err := approle.NewAppRoleAuth(roleID, &approle.SecretID{FromString: secretID})
		if err != nil {
			return nil, fmt.Errorf("vault AppRole: %w", err)
		}
		cl.login = func(ctx context.Context) error {
			s, err := c.Auth().Login(ctx, auth)
			if err != nil {
				return fmt.Errorf("vault AppRole login: %w", err)
			}
			if s == nil || s.Auth == nil {
				return errors.New("vault AppRole login returned no token")
			}
			return nil
		}
	case getenv("VAULT_TOKEN") != "":
		c.SetToken(getenv("VAULT_TOKEN"))
		cl.ready = true
	default:
		return nil, errors.New("no Vault credentials: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID")
	}
	return cl, nil
}

// Fetch reads the latest version of the KV v2 secret ref names and returns
// its field; without a field the secret must have exactly one. Errors name
// the path and field, never a value.
func (cl *Client) Fetch(ctx context.Context, ref secrets.Ref) (string, error) {
	if ref.Scheme != secrets.SchemeVault {
		return "", fmt.Errorf("vault: cannot read a %s reference", ref.Scheme)
	}
	if err := cl.ensureLogin(ctx, false); err != nil {
		return "", err
	}
	s, err := cl.c.KVv2(ref.Mount).Get(ctx, ref.Name)
	if cl.login != nil && isForbidden(err) {
		// An AppRole token expires; log in again once.
		if err := cl.ensureLogin(ctx, true); err != nil {
			return "", err
		}
		s, err = cl.c.KVv2(ref.Mount).Get(ctx, ref.Name)
	}
	if err != nil {
		return "", err
	}
	return field(s.Data, ref.Field)
}

func (cl *Client) ensureLogin(ctx context.Context, again bool) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.ready && !again {
		return nil
	}
	if cl.login == nil {
		return nil
	}
	if err := cl.login(ctx); err != nil {
		return err
	}
	cl.ready = true
	return nil
}

func isForbidden(err error) bool {
	var re *api.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusForbidden
}

func field(data map[string]any, name string) (string, error) {
	if name == "" {
		if len(data) != 1 {
			return "", fmt.Errorf("the secret has %d fields; name one with #field", len(data))
		}
		for k := range data {
			name = k
		}
	}
	v, ok := data[name]
	if !ok {
		return "", fmt.Errorf("the secret has no field %q", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("field %q of the secret is not a string", name)
	}
	return s, nil
}
