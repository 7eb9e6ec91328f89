import json
import stripe
from flask import Flask, request, jsonify

app = Flask(__name__)


@app.route("/webhook", methods=["POST"])
def webhook():
    event = json.loads(request.data)  # want "webhook-unverified"
    if event["type"] == "checkout.session.completed":
        fulfil(event["data"]["object"])
    return jsonify(success=True)


@app.route("/webhook2", methods=["POST"])
def webhook2():
    event = stripe.Event.construct_from(request.get_json(), stripe.api_key)  # want "webhook-unverified"
    return "", 200


def docs():
    """Never do this: event = json.loads(request.data)"""
    # nor this: stripe.Event.construct_from(request.json, key)
    return 'json.loads(request.data)'
