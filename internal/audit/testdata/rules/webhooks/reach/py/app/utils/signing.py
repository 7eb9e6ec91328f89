import os

import stripe


def verified(request):
    return stripe.Webhook.construct_event(request.body, request.META["HTTP_STRIPE_SIGNATURE"], os.environ["STRIPE_WEBHOOK_SECRET"])
