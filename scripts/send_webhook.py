#!/usr/bin/env python3
"""Sends a Bitrix webhook to the Worker, signed as the PHP kit signs it (Standard Webhooks v1).

Usage: send_webhook.py FILE.json [WORKER_URL]

The body is sent byte for byte as the file holds it. WEBHOOK_SIGNING_SECRET (default: the dev
stack's made-up secret) signs `webhook-id.webhook-timestamp.body` with HMAC-SHA256; with
WEBHOOK_SIGNING_SECRET set to an empty string the request carries `Authorization: Bearer
$WEBHOOK_TOKEN` instead (a Worker without a signing secret). Prints the status and the answer.
"""
import base64
import hashlib
import hmac
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

DEV_SECRET = "whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5"


def signature_headers(secret, body, webhook_id=None, timestamp=None):
    """The three Standard Webhooks headers for `body` (bytes)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    webhook_id = webhook_id or f"evt_{uuid.uuid4().hex}"
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": webhook_id, "webhook-timestamp": timestamp,
            "webhook-signature": "v1," + base64.b64encode(digest).decode()}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    body = open(sys.argv[1], "rb").read()
    worker = (sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8787").rstrip("/")
    secret = os.environ.get("WEBHOOK_SIGNING_SECRET", DEV_SECRET)
    headers = {"Content-Type": "application/json"}
    if secret:
        headers.update(signature_headers(secret, body))
    else:
        headers["Authorization"] = "Bearer " + os.environ.get("WEBHOOK_TOKEN", "dev-webhook-token")
    request = urllib.request.Request(f"{worker}/webhooks/bitrix/order", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    print(status, text)
    sys.exit(0 if status < 300 else 1)


if __name__ == "__main__":
    main()
