package config

import "strings"

// Variables (PRODUCT.md §2, and the few other parts need).
const (
	VarEnv                   = "PAYWARDEN_ENV"
	VarStripeSecretKey       = "STRIPE_SECRET_KEY"
	VarPaymentsKey           = "PAYWARDEN_PAYMENTS_KEY"
	VarBillingKey            = "PAYWARDEN_BILLING_KEY"
	VarReadKey               = "PAYWARDEN_READ_KEY"
	VarWebhookSecret         = "STRIPE_WEBHOOK_SECRET"       // STRIPE_WEBHOOK_SECRET_<NAME> for named endpoints
	VarWebhookEndpoints      = "PAYWARDEN_WEBHOOK_ENDPOINTS" // names of endpoints, for callers that cannot list the environment
	VarDatabaseURL           = "PAYWARDEN_DATABASE_URL"
	VarAddr                  = "PAYWARDEN_ADDR"
	VarAdminAddr             = "PAYWARDEN_ADMIN_ADDR"
	VarTLSCertFile           = "PAYWARDEN_TLS_CERT_FILE"
	VarTLSKeyFile            = "PAYWARDEN_TLS_KEY_FILE"
	VarTLSTerminatedUpstream = "PAYWARDEN_TLS_TERMINATED_UPSTREAM"
	VarStripeAPIVersion      = "PAYWARDEN_STRIPE_API_VERSION"
	VarStripeAPIBase         = "PAYWARDEN_STRIPE_API_BASE"
	VarWebhookTolerance      = "PAYWARDEN_WEBHOOK_TOLERANCE"
	VarAllowMixedMode        = "PAYWARDEN_ALLOW_MIXED_MODE"
	VarSecretsRefresh        = "PAYWARDEN_SECRETS_REFRESH"
	VarLogLevel              = "PAYWARDEN_LOG_LEVEL"
	VarLogFormat             = "PAYWARDEN_LOG_FORMAT"
	VarWebhookMaxBody        = "PAYWARDEN_WEBHOOK_MAX_BODY"
	VarStripeRateLimit       = "PAYWARDEN_STRIPE_RATE_LIMIT"
)

// Defaults.
const (
	defaultDatabaseURL      = "sqlite:paywarden.db"
	defaultAddr             = ":8443"
	defaultAdminAddr        = "127.0.0.1:9090"
	defaultWebhookTolerance = "300s"
	defaultSecretsRefresh   = "5m"
	defaultWebhookMaxBody   = 512 << 10
	defaultRateLive         = 80 // requests per second, below Stripe's live-mode limit of 100
	defaultRateTest         = 20 // below Stripe's test-mode limit of 25
)

// settings are the variables that may also be flags; secrets may not.
var settings = []string{
	VarEnv, VarDatabaseURL, VarAddr, VarAdminAddr, VarTLSCertFile, VarTLSKeyFile,
	VarTLSTerminatedUpstream, VarStripeAPIVersion, VarStripeAPIBase, VarWebhookTolerance,
	VarAllowMixedMode, VarSecretsRefresh, VarLogLevel, VarLogFormat, VarWebhookMaxBody,
	VarStripeRateLimit, VarWebhookEndpoints, VarSubscribers,
}

// boolSettings are given as bare flags (--allow-mixed-mode).
var boolSettings = map[string]bool{VarTLSTerminatedUpstream: true, VarAllowMixedMode: true}

// secretVars are the secrets, each of which also has an X_FILE form.
// PAYWARDEN_DATABASE_URL is one too, for the password it may hold.
var secretVars = []string{VarStripeSecretKey, VarPaymentsKey, VarBillingKey, VarReadKey, VarWebhookSecret, VarDatabaseURL}

// tomlKey is the config file key of a variable: snake_case without
// PAYWARDEN_, so PAYWARDEN_DATABASE_URL is database_url and
// STRIPE_SECRET_KEY is stripe_secret_key.
func tomlKey(v string) string {
	return strings.ToLower(strings.TrimPrefix(v, "PAYWARDEN_"))
}

// flagName is the flag of a variable: the TOML key in kebab-case.
func flagName(v string) string { return strings.ReplaceAll(tomlKey(v), "_", "-") }

// webhookTable is the config file table of named webhook endpoints:
//
//	[stripe_webhook_secrets]
//	connect = "vault:secret/stripe#connect_webhook"
const webhookTable = "stripe_webhook_secrets"
