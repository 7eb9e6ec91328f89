#!/usr/bin/env bash
# make run: paywarden serve in development mode, with SQLite, against a local
# stripe-mock. Test-mode secrets are made on the first run in var/secrets/
# (mode 600, never printed) and reused after; delete the directory for fresh
# ones. The settings go to var/paywarden-dev.toml, so that other commands
# reach the same setup with --config. Ctrl-C stops both processes.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
MOCK_HTTP=${STRIPE_MOCK_HTTP_ADDR:-127.0.0.1:12111}
MOCK_HTTPS=${STRIPE_MOCK_HTTPS_ADDR:-127.0.0.1:12112}
mkdir -p bin var

if [ ! -x bin/stripe-mock ]; then
	echo "make run: building stripe-mock (a go tool pinned in go.mod). The first build downloads and compiles"
	echo "its modules and can take several minutes on a small machine; later runs start in seconds."
fi
"$GO" build -o bin/stripe-mock github.com/stripe/stripe-mock
[ -x bin/paywarden ] || "$GO" build -o bin/paywarden ./cmd/paywarden
echo "make run: starting stripe-mock on $MOCK_HTTP..."

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

DB_URL=${PAYWARDEN_DATABASE_URL:-sqlite:var/paywarden-dev.db}
ADDR=${PAYWARDEN_ADDR:-127.0.0.1:8443}
ADMIN_ADDR=${PAYWARDEN_ADMIN_ADDR:-127.0.0.1:9090}
# Secrets go to files readable only by this user, named in the config file
# (never their values), so that a developer can sign test events with the
# webhook secret without it ever being printed.
mkdir -p var/secrets && chmod 700 var/secrets
umask 077
made=()
if [ ! -s var/secrets/stripe_secret_key ]; then
	printf 'sk_test_%s' "$(rand 32)" >var/secrets/stripe_secret_key
	made+=(stripe_secret_key)
fi
if [ ! -s var/secrets/stripe_webhook_secret ]; then
	printf 'whsec_%s' "$(rand 32)" >var/secrets/stripe_webhook_secret
	made+=(stripe_webhook_secret)
fi
if [ ${#made[@]} -eq 2 ]; then
	secrets_text="Fresh test-mode secrets were made in var/secrets/"
elif [ ${#made[@]} -eq 0 ]; then
	secrets_text="The test-mode secrets of an earlier run are reused from var/secrets/ (delete it for fresh ones)"
else
	secrets_text="var/secrets/${made[*]} was made fresh; the other secret is reused from an earlier run"
fi
CONFIG=var/paywarden-dev.toml
cat >"$CONFIG" <<TOML
# Written by scripts/run-dev.sh (make run) on every start. No secret is in
# here: only the files that hold them.
env = "development"
database_url = "$DB_URL"
addr = "$ADDR"
admin_addr = "$ADMIN_ADDR"
stripe_api_base = "http://$MOCK_HTTP"
stripe_secret_key_file = "$PWD/var/secrets/stripe_secret_key"
stripe_webhook_secret_file = "$PWD/var/secrets/stripe_webhook_secret"
TOML
umask 022
# The environment wins over the config file: clear what would override it.
unset PAYWARDEN_ENV STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET STRIPE_SECRET_KEY_FILE STRIPE_WEBHOOK_SECRET_FILE PAYWARDEN_STRIPE_API_BASE

cat <<MSG

paywarden (development) is starting with --config $CONFIG:
  webhooks   https://$ADDR/webhooks/stripe   (scripts/send-event.sh signs and sends a sample event)
  API        https://$ADDR/v1/   (docs/API.md; make a token in another terminal:
             bin/paywarden tokens create --config $CONFIG --name dev --scope admin)
  dashboard  https://$ADDR/ui/   (log in with a token of scope admin: in another terminal,
             bin/paywarden tokens create --config $CONFIG --name ops --scope admin)
  health     https://$ADDR/healthz  https://$ADDR/readyz
  metrics    http://$ADMIN_ADDR/metrics
  stripe     http://$MOCK_HTTP (stripe-mock)
  database   $DB_URL
The certificate is self-signed (curl -k). $secrets_text
(mode 600, never printed). Every command takes --config $CONFIG: try bin/paywarden doctor --config $CONFIG.
Ctrl-C stops both.

MSG
bin/paywarden serve --config "$CONFIG" &
pids+=($!)
wait -n "${pids[@]}"
