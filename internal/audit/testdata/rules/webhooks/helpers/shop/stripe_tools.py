import os

import stripe


def load_event(request):
    return stripe.Webhook.construct_event(
        request.data, request.headers["Stripe-Signature"], os.environ["SHOP_WEBHOOK_SECRET"]
    )
