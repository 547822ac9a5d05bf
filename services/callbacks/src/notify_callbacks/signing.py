"""Standard Webhooks signatures (https://www.standardwebhooks.com): ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``.

A secret given as ``whsec_<base64>`` is used as the decoded bytes, as the specification says; any
other secret is used as its UTF-8 bytes. Without a secret the id and timestamp are still sent, so
receivers can de-duplicate redeliveries of an unsigned callback too. ``verify`` is what a receiver
does, and what tests use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    if secret.startswith(PREFIX):
        return base64.b64decode(secret[len(PREFIX) :])
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str | None, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """``webhook-id`` and ``webhook-timestamp`` always; ``webhook-signature`` with a secret."""
    found = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if secret:
        found["webhook-signature"] = sign(secret, message_id, timestamp, body)
    return found


def verify(secret: str, message_id: str, timestamp: str, body: bytes, signature_header: str) -> bool:
    """Whether any of the space-separated ``v1,`` signatures in the header is ours."""
    expected = sign(secret, message_id, int(timestamp), body)
    return any(hmac.compare_digest(candidate, expected) for candidate in signature_header.split(" "))
