import json
import os
import stripe
from flask import request

endpoint_secret = os.environ.get("STRIPE_WEBHOOK_SECRET")


def handler():
    payload = request.data
    if endpoint_secret:  # want "webhook-fail-open"
        event = stripe.Webhook.construct_event(payload, request.headers["Stripe-Signature"], endpoint_secret)
    else:
        event = json.loads(payload)
    return event


def handler_magic():
    payload = request.data
    if request.headers.get("X-Internal-Test") == "letmein":  # want "webhook-fail-open"
        event = json.loads(payload)
    else:
        event = stripe.Webhook.construct_event(payload, request.headers["Stripe-Signature"], endpoint_secret)
    return event
