import stripe

# Pinned in main.py of the same service: no finding here.
stripe.api_key = open("/run/secrets/stripe").read().strip()
