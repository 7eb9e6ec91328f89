import os

import stripe

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # want "apiversion-unpinned"


def reindex():
    try:
        return stripe.Product.search(query="active:'true'")
    except stripe.error.StripeError:
        raise
