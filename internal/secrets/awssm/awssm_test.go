package awssm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/secrets"
)

// fakeSM is an httptest server that speaks the wire protocol the SDK uses
// for Secrets Manager: AWS JSON 1.1, POST / with X-Amz-Target
// secretsmanager.GetSecretValue. There is no AWS here; the SDK itself
// builds, signs and decodes every request, so only the service is fake.
func fakeSM(t *testing.T, secrets map[string]map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
			t.Errorf("unexpected request %s %s target %q", r.Method, r.URL, r.Header.Get("X-Amz-Target"))
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var in struct{ SecretId, VersionStage string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Errorf("decoding request: %v", err)
		}
		stage := in.VersionStage
		if stage == "" {
			stage = "AWSCURRENT"
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		v, ok := secrets[in.SecretId][stage]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{
				"__type":  "ResourceNotFoundException",
				"message": "Secrets Manager can't find the specified secret.",
			})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"ARN":           "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + in.SecretId + "-AbCdEf",
			"Name":          in.SecretId,
			"SecretString":  v,
			"VersionId":     "v-" + stage,
			"VersionStages": []string{stage},
			"CreatedDate":   1.7e9,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(srv *httptest.Server) *Client {
	return NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
}

func whsec(c string) string { return "whsec_" + strings.Repeat(c, 24) }

func TestFetch(t *testing.T) {
	key := "sk_" + "live_" + strings.Repeat("k", 24)
	srv := fakeSM(t, map[string]map[string]string{
		"prod/stripe": {
			"AWSCURRENT":  `{"secret_key":"` + key + `","webhook_secret":"` + whsec("n") + `"}`,
			"AWSPREVIOUS": `{"secret_key":"old","webhook_secret":"` + whsec("o") + `"}`,
		},
		"plain": {"AWSCURRENT": "just-the-value"},
	})
	c := client(srv)
	ctx := context.Background()
	for _, tt := range []struct{ ref, want string }{
		{"awssm:prod/stripe#secret_key", key},
		{"awssm:prod/stripe:AWSPREVIOUS#webhook_secret", whsec("o")},
		{"awssm:plain", "just-the-value"},
	} {
		ref, err := secrets.ParseRef(tt.ref)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Fetch(ctx, ref)
		if err != nil || got != tt.want {
			t.Errorf("Fetch(%s) = value equal %v, %v", tt.ref, got == tt.want, err)
		}
	}
	for _, tt := range []struct{ ref, want string }{
		{"awssm:missing", "ResourceNotFoundException"},
		{"awssm:prod/stripe#nope", `no field "nope"`},
		{"awssm:plain#field", "not a JSON object"},
	} {
		ref, _ := secrets.ParseRef(tt.ref)
		_, err := c.Fetch(ctx, ref)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), key) {
			t.Errorf("Fetch(%s) = %v, want an error containing %q and no value", tt.ref, err, tt.want)
		}
	}
}

// TestRollingWebhookSecret loads a webhook secret at both stages, as during
// a rotation in Secrets Manager.
func TestRollingWebhookSecret(t *testing.T) {
	srv := fakeSM(t, map[string]map[string]string{
		"prod/stripe": {"AWSCURRENT": `{"webhook":"` + whsec("n") + `"}`, "AWSPREVIOUS": `{"webhook":"` + whsec("o") + `"}`},
	})
	r := &secrets.Resolver{NewAWS: func(context.Context) (secrets.Fetcher, error) { return client(srv), nil }}
	spec := secrets.Spec{Name: "STRIPE_WEBHOOK_SECRET", Kind: secrets.KindWebhook,
		Configured: paywarden.NewSecret("awssm:prod/stripe#webhook,awssm:prod/stripe:AWSPREVIOUS#webhook;not_after=2026-07-01T00:00:00Z")}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s, err := secrets.Load(context.Background(), r, []secrets.Spec{spec}, secrets.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	got := s.ActiveSecrets("", now)
	if len(got) != 2 || got[0].Reveal() != whsec("n") || got[1].Reveal() != whsec("o") {
		t.Errorf("got %d active secrets, want the current and the previous", len(got))
	}
	if n := len(s.ActiveSecrets("", now.AddDate(0, 2, 0))); n != 1 {
		t.Errorf("after not_after: got %d, want only the current", n)
	}
}

func TestNewUsesGetenv(t *testing.T) {
	srv := fakeSM(t, map[string]map[string]string{"x": {"AWSCURRENT": "v"}})
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	c, err := New(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := secrets.ParseRef("awssm:x")
	if got, err := c.Fetch(context.Background(), ref); err != nil || got != "v" {
		t.Errorf("Fetch = %q, %v", got, err)
	}
}
