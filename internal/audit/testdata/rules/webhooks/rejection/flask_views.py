import os

import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)
SECRET = os.environ["STRIPE_ENDPOINT_SECRET"]


@app.post("/webhooks/stripe")
def stripe_events():
    payload = request.get_data(as_text=True)
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), SECRET)
    except stripe.error.SignatureVerificationError as exc:  # want "webhook-error-ignored"
        return jsonify({"ok": False, "reason": str(exc)})
    handle(event)
    return jsonify({"ok": True})


@app.post("/webhooks/stripe-connect")
def connect_events():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)
    except ValueError as problem:  # want "webhook-error-ignored"
        return problem
    handle(event)
    return jsonify({"ok": True})


@app.post("/webhooks/stripe-strict")
def strict_events():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)
    except ValueError as problem:
        return jsonify({"ok": False, "reason": "invalid payload"}), 400
    except stripe.error.SignatureVerificationError:
        return jsonify(error="bad signature"), 401
    handle(event)
    return jsonify({"ok": True})


def handle(event):
    if event["type"] == "charge.refunded":
        print("refund", event["data"]["object"]["id"])
