"""The baseline for `make bench`: the webhook handler paywarden replaces.

A minimal Flask view, as the original services had it: verify the
Stripe-Signature header with stripe-python's stripe.Webhook.construct_event,
then store the event in SQLite (INSERT OR IGNORE the id, type and payload)
and commit before answering 200. It runs under gunicorn with Debian's
python3-flask, python3-stripe and gunicorn packages (see scripts/bench.sh).

Environment:
  WEBHOOK_SECRET_FILE  file holding the whsec_ signing secret (never printed)
  BENCH_DB             SQLite file; the table is created by `python3 app.py init`

The database uses WAL with synchronous=FULL, so every commit is synced as
paywarden's are (SQLite's default rollback journal is slower still).
"""

import json
import os
import sqlite3
import sys
import threading

import stripe
from flask import Flask, request

app = Flask(__name__)

with open(os.environ["WEBHOOK_SECRET_FILE"]) as f:
    SECRET = f.read().strip()
DB = os.environ["BENCH_DB"]

_local = threading.local()


def db():
    # One connection per worker thread, opened lazily after the fork.
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        _local.conn = conn
    return conn


@app.post("/webhooks/stripe")
def webhook():
    payload = request.get_data()
    sig = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe.Webhook.construct_event(payload, sig, SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    conn = db()
    conn.execute(
        "INSERT OR IGNORE INTO events (id, type, payload) VALUES (?, ?, ?)",
        (event["id"], event["type"], payload),
    )
    conn.commit()
    return json.dumps({"received": True}), 200, {"Content-Type": "application/json"}


if __name__ == "__main__" and sys.argv[1:] == ["init"]:
    c = sqlite3.connect(DB)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute(
        "CREATE TABLE IF NOT EXISTS events "
        "(id TEXT PRIMARY KEY, type TEXT NOT NULL, payload BLOB NOT NULL)"
    )
    c.commit()
    c.close()
