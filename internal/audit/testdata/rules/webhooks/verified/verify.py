import os
import stripe


def verified_event(request):
    return stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], os.environ["STRIPE_WEBHOOK_SECRET"])
