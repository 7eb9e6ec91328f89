import os

import stripe
from flask import Flask, request

app = Flask(__name__)


@app.post("/stripe/webhook")
def webhook():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], os.environ["STRIPE_WEBHOOK_SECRET"])
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    return {"type": event["type"]}, 200


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=4242, debug=True)  # want "webhook-debug-server"
