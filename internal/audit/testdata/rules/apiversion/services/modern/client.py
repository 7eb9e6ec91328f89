import os
from stripe import StripeClient

client = StripeClient(os.environ["STRIPE_SECRET_KEY"])  # want "apiversion-unpinned"
pinned = StripeClient(os.environ["STRIPE_SECRET_KEY"], stripe_version="2025-03-31.basil")  # want "apiversion-mismatch"
