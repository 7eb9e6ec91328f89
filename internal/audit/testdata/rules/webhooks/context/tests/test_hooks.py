import json

from flask import Flask, request

app = Flask(__name__)


@app.post("/test-hook")
def fake_hook():
    event = json.loads(request.data)  # want "webhook-unverified"
    return {"seen": event["type"]}
