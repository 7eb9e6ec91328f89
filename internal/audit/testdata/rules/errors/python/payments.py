import logging
import stripe
from flask import jsonify, request

stripe.max_network_retries = 0  # want "error-retries-disabled"
log = logging.getLogger(__name__)


def charge(customer, amount):
    # No try: a declined card raises out of the view.
    return stripe.PaymentIntent.create(customer=customer, amount=amount, currency="usd")  # want "error-unhandled"


def refund(pi):
    try:
        stripe.Refund.create(payment_intent=pi)
    except Exception as e:  # want "error-swallowed"
        log.warning("refund failed: %s", e)


def bare(pi):
    try:
        stripe.PaymentIntent.cancel(pi)
    except:  # want "error-swallowed"
        pass


def leaky(pi):
    try:
        return jsonify(stripe.PaymentIntent.confirm(pi))
    except stripe.error.CardError as e:
        return jsonify(error=e.user_message), 402
    except stripe.error.StripeError as e:  # want "error-leaked"
        return jsonify(error=str(e)), 500


def logs_body(e):
    try:
        stripe.Customer.modify("cus_123", email=request.json["email"])
    except stripe.error.StripeError as err:  # want "error-leaked"
        log.error("stripe said %s", err.json_body)
        raise


def logs_request():
    log.info("webhook payload: %s", request.data)  # want "error-leaked"


def handled(pi):
    try:
        return stripe.PaymentIntent.retrieve(pi)
    except stripe.error.StripeError:
        log.exception("retrieve failed")
        raise


def client_api(client, pi):
    try:
        client.v1.payment_intents.retrieve(pi)
    except stripe.StripeError as e:
        return {"error": "payment failed", "request_id": e.request_id}, 502
