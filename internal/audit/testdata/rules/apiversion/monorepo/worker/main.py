import stripe

from shared import stripe_setup  # noqa: F401 - pins the API version for this process

client = stripe.StripeClient(stripe_setup.stripe.api_key)
