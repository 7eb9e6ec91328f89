import os

import stripe

stripe.api_version = "2025-03-31.basil"
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
