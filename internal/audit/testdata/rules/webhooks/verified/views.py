import json
from flask import request, abort
from verify import verified_event


def stripe_webhook():
    try:
        verified_event(request)
    except Exception:
        abort(400)
    event = json.loads(request.data)
    if event["type"] == "invoice.paid":
        pay(event["data"]["object"])
    return "", 200
