from shop.stripe_tools import load_event


def shop_webhook(request):
    event = load_event(request)
    if event["type"] == "checkout.session.completed":
        return "ok", 200
    return "", 204
