import json
import os

import stripe
from flask import Flask, request

app = Flask(__name__)


@app.route("/hooks/stripe", methods=["POST"])
def stripe_hook():
    secret = os.environ.get("STRIPE_HOOK_SECRET")
    if secret is None:
        return "webhook secret missing", 500
    if not secret.startswith("whsec"):
        return {"error": "misconfigured"}, 400
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "invalid", 400
    if event["type"] == "checkout.session.completed":
        cart = json.loads(event["data"]["object"]["metadata"]["cart"])
        ship(cart)
    return "", 200


def ship(cart):
    return cart
