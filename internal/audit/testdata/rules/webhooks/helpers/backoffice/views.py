from backoffice.stripe_tools import load_event


def refunds_webhook(request):
    event = load_event(request)  # want "webhook-unverified"
    if event["type"] == "charge.refunded":
        return "ok", 200
    return "", 204
