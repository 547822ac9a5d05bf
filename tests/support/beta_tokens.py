"""What a beta API client does to sign a request (docs/legacy-beta.md): the other side of
``notify_api_gateway.legacy.signing.verify``, for the tests."""

from __future__ import annotations

import time
from typing import Any

import jwt

from notify_api_gateway.legacy.signing import SignedRequest, request_signature, signature


def create_token(service_id: str, secret: str, request: SignedRequest, iat: float | None = None) -> str:
    """A beta token for ``request``: what a beta client does (used by the tests and the docs)."""
    claims: dict[str, Any] = {
        "iss": service_id,
        "iat": int(time.time() if iat is None else iat),
        "req": request_signature(secret, request.method, request.path),
    }
    if request.body:
        claims["pay"] = signature(secret, request.body)
    return jwt.encode(claims, secret, algorithm="HS256")
