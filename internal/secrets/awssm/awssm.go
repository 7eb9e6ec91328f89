// Package awssm reads secrets from AWS Secrets Manager for awssm:
// references (see secrets.ParseRef).
//
// Credentials and region come from the AWS SDK's standard chain
// (environment, shared config, SSO, web identity, ECS and EC2 roles). A
// secret's SecretString is the secret itself, or a JSON object whose field
// the reference names: awssm:prod/stripe#secret_key.
package awssm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/paywarden/paywarden/internal/jsonstrict"
	"github.com/paywarden/paywarden/internal/secrets"
)

// API is the part of the Secrets Manager client paywarden uses.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Client reads awssm: references. It implements secrets.Fetcher.
type Client struct {
	api API
}

// New returns a Client configured by the standard AWS chain. getenv is
// consulted for AWS_REGION (or AWS_DEFAULT_REGION) and for
// AWS_ENDPOINT_URL_SECRETS_MANAGER (or AWS_ENDPOINT_URL), so that a caller's
// environment wins over the process's; the rest of the chain is the SDK's.
func New(ctx context.Context, getenv func(string) string) (*Client, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if r := first(getenv, "AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if ep := first(getenv, "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return NewFromConfig(cfg), nil
}

// NewFromConfig returns a Client for an AWS configuration made by the
// caller.
func NewFromConfig(cfg aws.Config) *Client {
	return &Client{api: secretsmanager.NewFromConfig(cfg)}
}

// NewWithAPI returns a Client over any implementation of API.
func NewWithAPI(api API) *Client { return &Client{api: api} }

func first(getenv func(string) string, names ...string) string {
	if getenv == nil {
		return ""
	}
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// Fetch reads the secret ref names at its version stage (AWSCURRENT unless
// the reference gives another) and, when the reference names a field, that
// field of its JSON. Errors name the secret and the field, never a value.
func (c *Client) Fetch(ctx context.Context, ref secrets.Ref) (string, error) {
	if ref.Scheme != secrets.SchemeAWSSM {
		return "", fmt.Errorf("awssm: cannot read a %s reference", ref.Scheme)
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.Name)}
	if ref.Stage != "" {
		in.VersionStage = aws.String(ref.Stage)
	}
	out, err := c.api.GetSecretValue(ctx, in)
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", errors.New("the secret is binary; paywarden reads text secrets (SecretString)")
	}
	if ref.Field == "" {
		return *out.SecretString, nil
	}
	return field(*out.SecretString, ref.Field)
}

// field returns a string field of a JSON object. The JSON error is not
// passed on: its text may quote the secret.
func field(doc, name string) (string, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return "", fmt.Errorf("the secret is not a JSON object, so it has no field %q", name)
	}
	if jsonstrict.Check([]byte(doc)) != nil {
		return "", fmt.Errorf("the secret repeats a field name, so field %q is ambiguous", name)
	}
	v, ok := m[name]
	if !ok {
		return "", fmt.Errorf("the secret has no field %q", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("field %q of the secret is not a string", name)
	}
	return s, nil
}
