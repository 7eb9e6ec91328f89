import json

from app.utils import signing


def django_hook(request):
    signing.verified(request)
    event = json.loads(request.body)
    if event["type"] == "invoice.paid":
        return "ok"
    return ""
