import os

import stripe
from fastapi import Request
from fastapi.responses import JSONResponse

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def signature_ok(payload, header):
    try:
        stripe.Webhook.construct_event(payload, header, SECRET)
        return True
    except (ValueError, stripe.error.SignatureVerificationError):
        return False


async def fastapi_hook(request: Request):
    body = await request.body()
    try:
        event = stripe.Webhook.construct_event(body, request.headers.get("stripe-signature"), SECRET)
    except ValueError:
        return JSONResponse(status_code=400, content={"error": "invalid payload"})
    except stripe.error.SignatureVerificationError:  # want "webhook-error-ignored"
        return {"error": "invalid signature"}
    return {"type": event["type"]}
