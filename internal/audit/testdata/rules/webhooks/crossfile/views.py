from parsing import read_event


def stripe_webhook(request):
    event = read_event(request)  # want "webhook-unverified"
    if event["type"] == "customer.subscription.deleted":
        cancel(event["data"]["object"]["id"])
    return "", 200
