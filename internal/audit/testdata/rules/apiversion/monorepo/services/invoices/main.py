import os

import stripe

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
stripe.api_version = "2025-03-31.basil"


def run():
    return stripe.Customer.list(limit=1)  # want "error-unhandled"
