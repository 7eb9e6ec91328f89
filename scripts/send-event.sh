#!/usr/bin/env bash
# Signs a sample Stripe event with the development webhook secret (made by
# `make run` in var/secrets/) and posts it to the local paywarden.
# Usage: scripts/send-event.sh [TYPE] [EVENT_ID]
set -euo pipefail
cd "$(dirname "$0")/.."
type=${1:-customer.updated}
id=${2:-evt_dev$(date +%s%N)}
addr=${PAYWARDEN_ADDR:-127.0.0.1:8443}
secret_file=${STRIPE_WEBHOOK_SECRET_FILE:-var/secrets/stripe_webhook_secret}
now=$(date +%s)
body=$(printf '{"id":"%s","object":"event","api_version":"2026-03-25.dahlia","created":%s,"livemode":false,"type":"%s","data":{"object":{"id":"cus_dev123","object":"customer","created":%s,"email":"dev@example.com","name":"Dev","livemode":false}},"pending_webhooks":1,"request":{"id":null,"idempotency_key":null}}' "$id" "$now" "$type" "$now")
sig=$(printf '%s.%s' "$now" "$body" | openssl dgst -sha256 -hmac "$(cat "$secret_file")" -r | cut -d' ' -f1)
curl -sk -X POST "https://$addr/webhooks/stripe" -H 'Content-Type: application/json' \
	-H "Stripe-Signature: t=$now,v1=$sig" --data-binary "$body"
echo
