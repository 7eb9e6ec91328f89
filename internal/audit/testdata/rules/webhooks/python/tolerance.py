import os
import stripe
from flask import request, jsonify

secret = os.environ["STRIPE_WEBHOOK_SECRET"]


def no_tolerance():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], secret, tolerance=None)  # want "webhook-tolerance-disabled"
    except ValueError:
        return "bad payload", 400
    except stripe.error.SignatureVerificationError:  # want "webhook-error-ignored"
        return jsonify(success=True), 200
    return handle(event)


def swallowed():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], secret, 0)  # want "webhook-tolerance-disabled"
    except Exception as e:  # want "webhook-error-ignored"
        print("verification failed", e)
    return handle(event)


def reencoded():
    try:
        event = stripe.Webhook.construct_event(json.dumps(request.json), request.headers["Stripe-Signature"], secret)  # want "webhook-raw-body-lost"
    except stripe.error.SignatureVerificationError:
        return "", 400
    return handle(event)
