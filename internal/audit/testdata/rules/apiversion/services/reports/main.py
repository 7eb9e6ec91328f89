import os
import stripe

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
stripe.api_version = "2020-08-27"  # want "apiversion-mismatch" "apiversion-stale"
