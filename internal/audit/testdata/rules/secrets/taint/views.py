import logging
import os

import stripe

log = logging.getLogger(__name__)
endpoint_secret = os.environ.get("STRIPE_WEBHOOK_SECRET")
api_token = os.environ.get("STRIPE_SECRET_KEY") or ""


def on_event(payload, signature):
    event = stripe.Webhook.construct_event(payload, signature, endpoint_secret)
    obj = stripe.PaymentIntent.retrieve(event["data"]["object"]["id"], api_key=api_token)  # want "error-unhandled"
    log.info("event %s for %s", event["type"], obj["id"])
    log.debug("using key %s", api_token)  # want "secret-logged"
    return event
