"""Authentication exactly as GOV.UK Notify does it.

``Authorization: Bearer <JWT>``, HS256, claims ``iss`` (the service id) and ``iat`` within ±30 s.
The token is checked against every key of the service until one verifies; the messages and status
codes are Notify's, word for word.

A token that verified is remembered (``VerifiedTokens``, keyed by the token string): the same token
sent again skips decoding and the HMAC, but is still refused if its key has since been revoked or
removed, or once its ``iat`` is outside the ±30 s window. Tokens with ``exp`` or ``nbf`` claims,
whose validity PyJWT re-checks with the clock, are not remembered.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from notify_common.api_errors import auth_error
from notify_common.service_config import ApiKey, Service, ServiceConfig

CLOCK_SKEW_SECONDS = 30
# Notify's tokens are about 150 characters; a longer one may still verify but is never remembered,
# so the cache's memory stays bounded by its entry count.
MAX_REMEMBERED_TOKEN_LENGTH = 1024
DOCS_AUTH_URL = "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"


@dataclass(frozen=True)
class Authenticated:
    service: Service
    api_key: ApiKey
    config: ServiceConfig | None = None


def bearer_token(header: str | None) -> str:
    if not header:
        raise auth_error("Unauthorized: authentication token must be provided", 401)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise auth_error("Unauthorized: authentication bearer scheme must be used", 401)
    return token.strip()


def unverified_issuer(token: str) -> str:
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise auth_error(
            f"Invalid token: make sure your API token matches the example at {DOCS_AUTH_URL}"
        ) from None
    issuer = claims.get("iss")
    if not issuer:
        raise auth_error("Invalid token: iss field not provided")
    try:
        uuid.UUID(str(issuer))
    except ValueError:
        raise auth_error("Invalid token: service id is not the right data type") from None
    return str(issuer)


def check_algorithm(token: str) -> None:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise auth_error(
            f"Invalid token: make sure your API token matches the example at {DOCS_AUTH_URL}"
        ) from None
    if header.get("alg") != "HS256":
        raise auth_error("Invalid token: algorithm used is not HS256")


def verify_token(
    token: str, keys: list[tuple[ApiKey, str]], now: float | None = None
) -> tuple[ApiKey, str, dict[str, Any]]:
    """The key (with its plaintext secret) that signed ``token``, revocation and iat checked; with
    its secret and the token's claims."""
    check_algorithm(token)
    for key, secret in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, secret, algorithms=["HS256"], options={"verify_iat": False, "require": ["iat"]}
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:  # a required claim missing, or a token that does not decode
            raise auth_error(
                f"Invalid token: make sure your API token matches the example at {DOCS_AUTH_URL}"
            ) from None
        if key.revoked:
            raise auth_error("Invalid token: API key revoked")
        check_issued_at(claims.get("iat"), time.time() if now is None else now)
        return key, secret, claims
    raise auth_error("Invalid token: API key not found")


def check_issued_at(iat: object, now: float) -> None:
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise auth_error(f"Invalid token: make sure your API token matches the example at {DOCS_AUTH_URL}")
    if now > iat + CLOCK_SKEW_SECONDS or iat > now + CLOCK_SKEW_SECONDS:
        raise auth_error("Error: Your system clock must be accurate to within 30 seconds")


@dataclass(frozen=True)
class VerifiedToken:
    service_id: str
    key_id: str
    secret: str
    iat: float


class VerifiedTokens:
    """Tokens that verified, by token string (oldest forgotten first beyond ``size``)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._tokens: dict[str, VerifiedToken] = {}

    def get(self, token: str) -> VerifiedToken | None:
        return self._tokens.get(token)

    def remember(self, token: str, service_id: str, key: ApiKey, secret: str, claims: dict[str, Any]) -> None:
        iat = claims.get("iat")
        if "exp" in claims or "nbf" in claims or not isinstance(iat, int | float) or isinstance(iat, bool):
            return
        if len(token) > MAX_REMEMBERED_TOKEN_LENGTH:
            return
        if len(self._tokens) >= self._size:
            del self._tokens[next(iter(self._tokens))]
        self._tokens[token] = VerifiedToken(service_id, key.id, secret, iat)

    def forget(self, token: str) -> None:
        self._tokens.pop(token, None)


def verify_remembered(
    known: VerifiedToken, keys: list[tuple[ApiKey, str]], now: float | None = None
) -> ApiKey | None:
    """What ``verify_token`` decides for a token that verified before with ``known``'s key: that
    key (revocation and iat checked again), or None if the key is gone (verify from scratch)."""
    for key, secret in keys:
        if key.id == known.key_id and secret == known.secret:
            if key.revoked:
                raise auth_error("Invalid token: API key revoked")
            check_issued_at(known.iat, time.time() if now is None else now)
            return key
    return None
