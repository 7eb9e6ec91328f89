import json
import logging
import os

import stripe
from flask import Flask, request

app = Flask(__name__)
log = logging.getLogger("billing.hooks")
SIGNING = os.environ.get("BILLING_WEBHOOK_SIGNING_SECRET")


@app.post("/billing/stripe-events")
def receive_billing_event():
    raw = request.get_data()
    header = request.headers.get("Stripe-Signature", "")
    if SIGNING:  # want "webhook-fail-open"
        log.debug("verifying event with a %d byte body", len(raw))
        try:
            event = stripe.Webhook.construct_event(raw, header, SIGNING)
        except stripe.error.SignatureVerificationError:
            log.warning("rejected an event with a bad signature")
            return "bad signature", 400
        except ValueError:
            log.warning("rejected a body that is not JSON")
            return "bad payload", 400
        source = "verified"
        log.info("event %s arrived from Stripe", event["id"])
        log.info("source=%s", source)
        tenant = event["data"]["object"].get("metadata", {}).get("tenant")
        if tenant is None:
            log.info("event without a tenant")
        else:
            log.info("event for tenant %s", tenant)
        counters = {"received": 1}
        log.debug("counters %s", counters)
    else:
        log.warning("no signing secret configured")
        event = json.loads(raw)
    kind = event["type"]
    if kind == "invoice.payment_failed":
        notify_dunning(event["data"]["object"])
    return "", 204


def notify_dunning(invoice):
    log.info("dunning for %s", invoice["id"])
