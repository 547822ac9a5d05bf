"""The beta API's request-signing tokens, pure (docs/legacy-beta.md).

A beta token is a JWT (HS256, signed with an API key's secret) with claims ``iss`` (the service
id), ``iat``, ``req`` and, for a request with a body, ``pay``:

* ``req`` = base64(HMAC-SHA256(secret, "<METHOD> <PATH>")), e.g. ``"GET /notifications/1234"``,
  where PATH is the URL path only (no query string, no host) exactly as requested;
* ``pay`` = base64(HMAC-SHA256(secret, <the exact body bytes>)).

base64 is the standard alphabet with ``=`` padding (RFC 4648 §4), as the beta clients wrote it;
the secret and the request line are UTF-8. A token whose ``req`` or ``pay`` does not match the
request is refused, so a token cannot be replayed against another path or with another body.
Issuer, algorithm and clock checks are v2's own (``auth``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt

from notify_api_gateway.auth import check_algorithm, check_issued_at
from notify_common.api_errors import ApiError
from notify_common.service_config import ApiKey


class SigningError(Exception):
    """A beta token that does not verify; ``message`` is for the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def signature(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def request_signature(secret: str, method: str, path: str) -> str:
    return signature(secret, f"{method.upper()} {path}".encode())


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    body: bytes


def _matches(claim: object, expected: str) -> bool:
    return isinstance(claim, str) and hmac.compare_digest(claim.encode(), expected.encode())


def verify(
    token: str, keys: list[tuple[ApiKey, str]], request: SignedRequest, now: float | None = None
) -> ApiKey:
    """The key that signed ``token`` for exactly ``request``; ``SigningError`` otherwise."""
    try:
        check_algorithm(token)
    except ApiError as exc:
        raise SigningError(exc.messages[0]) from None
    for key, secret in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, secret, algorithms=["HS256"], options={"verify_iat": False, "require": ["iat"]}
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            raise SigningError("Invalid token: malformed") from None
        if key.revoked:
            raise SigningError("Invalid token: API key revoked")
        try:
            check_issued_at(claims.get("iat"), time.time() if now is None else now)
        except ApiError as exc:
            raise SigningError(exc.messages[0]) from None
        if not _matches(claims.get("req"), request_signature(secret, request.method, request.path)):
            raise SigningError("Invalid token: request")
        if (request.body or "pay" in claims) and not _matches(
            claims.get("pay"), signature(secret, request.body)
        ):
            raise SigningError("Invalid token: payload")
        return key
    raise SigningError("Invalid token: signature")
