import os
import stripe

# stripe-python 2 with no pinned version: the account default applies.
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # want "apiversion-unpinned"

"""
stripe.api_key = "not live code, a docstring"
"""
# stripe.api_key = os.environ["X"]  (a comment, not live code)
