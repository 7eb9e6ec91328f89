#!/usr/bin/env bash
# make run: paywarden serve in development mode, with SQLite, against a local
# stripe-mock. Test-mode secrets are generated for this run only and never
# written anywhere. Ctrl-C stops both processes.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
MOCK_HTTP=${STRIPE_MOCK_HTTP_ADDR:-127.0.0.1:12111}
MOCK_HTTPS=${STRIPE_MOCK_HTTPS_ADDR:-127.0.0.1:12112}
mkdir -p bin var

echo "building stripe-mock (a go tool pinned in go.mod; the first build takes a minute)..."
"$GO" build -o bin/stripe-mock github.com/stripe/stripe-mock
[ -x bin/paywarden ] || "$GO" build -o bin/paywarden ./cmd/paywarden

rand() { head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-"$1"; }

pids=()
cleanup() {
	trap - INT TERM EXIT
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Both addresses on loopback: stripe-mock otherwise listens on every interface.
bin/stripe-mock -http-addr "$MOCK_HTTP" -https-addr "$MOCK_HTTPS" >var/stripe-mock.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	if (exec 3<>"/dev/tcp/${MOCK_HTTP%:*}/${MOCK_HTTP##*:}") 2>/dev/null; then break; fi
	sleep 0.1
done

export PAYWARDEN_ENV=development
export PAYWARDEN_DATABASE_URL=${PAYWARDEN_DATABASE_URL:-sqlite:var/paywarden-dev.db}
export PAYWARDEN_ADDR=${PAYWARDEN_ADDR:-127.0.0.1:8443}
export PAYWARDEN_ADMIN_ADDR=${PAYWARDEN_ADMIN_ADDR:-127.0.0.1:9090}
export PAYWARDEN_STRIPE_API_BASE="http://$MOCK_HTTP"
# Secrets go to files readable only by this user, passed by the *_FILE
# convention, so that a developer can sign test events with the webhook
# secret without it ever being printed.
mkdir -p var/secrets && chmod 700 var/secrets
umask 077
[ -s var/secrets/stripe_secret_key ] || printf 'sk_test_%s' "$(rand 32)" >var/secrets/stripe_secret_key
[ -s var/secrets/stripe_webhook_secret ] || printf 'whsec_%s' "$(rand 32)" >var/secrets/stripe_webhook_secret
umask 022
export STRIPE_SECRET_KEY_FILE=$PWD/var/secrets/stripe_secret_key
export STRIPE_WEBHOOK_SECRET_FILE=$PWD/var/secrets/stripe_webhook_secret

cat <<MSG

paywarden (development) is starting:
  webhooks   https://$PAYWARDEN_ADDR/webhooks/stripe
  API        https://$PAYWARDEN_ADDR/v1/   (make a token: bin/paywarden tokens create --name dev --scope admin,
             with PAYWARDEN_DATABASE_URL=$PAYWARDEN_DATABASE_URL)
  dashboard  https://$PAYWARDEN_ADDR/ui/   (log in with a token of scope admin: in another terminal,
             PAYWARDEN_DATABASE_URL=$PAYWARDEN_DATABASE_URL bin/paywarden tokens create --name ops --scope admin)
  health     https://$PAYWARDEN_ADDR/healthz  https://$PAYWARDEN_ADDR/readyz
  metrics    http://$PAYWARDEN_ADMIN_ADDR/metrics
  stripe     $PAYWARDEN_STRIPE_API_BASE (stripe-mock)
The certificate is self-signed (curl -k). Development secrets are in var/secrets/ (mode 600,
never printed); scripts/send-event.sh signs and sends a sample event with them.
Ctrl-C stops both.

MSG
bin/paywarden serve &
pids+=($!)
wait -n "${pids[@]}"
