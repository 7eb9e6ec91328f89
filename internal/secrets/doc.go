// Package secrets reads paywarden's secrets from where the operator keeps
// them and keeps them current while paywarden runs.
//
// A secret is configured as a plain value (the secret itself, from the
// environment) or as a reference (see ParseRef):
//
//	env:NAME                  another environment variable
//	file:/path                a file (Docker, Kubernetes and systemd secrets)
//	awssm:NAME[:STAGE][#field] AWS Secrets Manager, through the awssm package
//	vault:mount/path[#field]  Vault KV v2, through the vault package
//
// Load resolves a set of Specs into an immutable Snapshot and checks it
// (key shapes, modes, webhook secrets). A Manager holds the current Snapshot
// and replaces it on Reload (SIGHUP), when a secret file changes, and every
// refresh interval for secrets managers. A new Stripe key is verified before
// it replaces the old one; a failed reload keeps the old value, and is logged
// and counted.
//
// The package imports neither the AWS nor the Vault client: those live in
// the awssm and vault subpackages and are plugged in as Fetchers, so that a
// deployment that uses neither never loads their configuration.
package secrets
