"""Security keys (WebAuthn) as a console account's second factor, verified with ``py_webauthn``.

A ceremony (registering a key, or signing in with one) has two steps. The first answers the options
for the browser's ``navigator.credentials.create()`` or ``.get()`` and a ceremony id; the challenge
is kept in Redis under that id (``CEREMONY_SECONDS``), with the person and the origin the console
named, and taken out (once) by the second step, which verifies what the browser answered: the
challenge, the origin, the relying party id (the origin's host name), the user's presence, and for
a sign-in the key's signature and its counter, which must move forward unless the key keeps none.

Registering a key makes it the person's way of signing in (``auth_type`` ``webauthn_auth``, as in
GOV.UK Notify); the last key of such an account cannot be deleted. A failed sign-in with a key
counts towards the account's lockout like a wrong code, and a locked account cannot use its keys.
Without Redis no ceremony can begin or end: the answer is a 503 that says so.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from notify_admin_api.console_accounts import MAX_FAILED_LOGINS, AccountStore, iso
from notify_admin_api.store import AdminError
from notify_admin_api.tables.console import console_users
from notify_admin_api.tables.webauthn import webauthn_credentials

WEBAUTHN_AUTH = "webauthn_auth"
RP_NAME = "Notify"
DEFAULT_KEY_NAME = "Unnamed key"
CEREMONY_SECONDS = 300
TIMEOUT_MS = 120_000
KEY_REFUSED = "Security key not recognised"
NO_CEREMONY = "The security key check has expired: start again"
LAST_KEY = "Cannot delete last remaining webauthn credential for user"
NO_REDIS = "Security keys cannot be used at the moment: try again in a few minutes"


def relying_party(origin: str) -> str:
    """The relying party id for the console at ``origin``: its host name. Browsers offer security
    keys only to a secure context named by a domain, so an origin must be https, or http on
    localhost, and not an IP address."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    local = host == "localhost" or host.endswith(".localhost")
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
        raise AdminError("Security keys need the console to be served over https (or on localhost)")
    if not host or host.replace(".", "").isdigit() or ":" in host or parts.path not in ("", "/"):
        raise AdminError(
            "Security keys need the console's origin to be a domain name, like https://notify.example"
        )
    return host


def _origin(origin: str) -> str:
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}"


class WebAuthnStore:
    def __init__(self, engine: AsyncEngine, redis: Redis, accounts: AccountStore) -> None:  # type: ignore[type-arg]
        self.engine = engine
        self._redis = redis
        self._accounts = accounts

    # ---- ceremonies ------------------------------------------------------------------------

    async def _begin(self, user_id: str, kind: str, origin: str, challenge: bytes) -> str:
        ceremony = secrets.token_urlsafe(24)
        state = {"user_id": user_id, "kind": kind, "origin": origin}
        state["challenge"] = bytes_to_base64url(challenge)
        try:
            await self._redis.set(f"webauthn:{ceremony}", json.dumps(state), ex=CEREMONY_SECONDS)
        except RedisError:
            raise AdminError(NO_REDIS, 503) from None
        return ceremony

    async def _take(self, user_id: str, kind: str, ceremony: str) -> dict[str, Any]:
        """The ceremony's state, used up: a challenge answers at most one response."""
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(f"webauthn:{ceremony}")
                pipe.delete(f"webauthn:{ceremony}")
                found, _ = await pipe.execute()
        except RedisError:
            raise AdminError(NO_REDIS, 503) from None
        state: dict[str, Any] | None = json.loads(found) if found else None
        if state is None or state["user_id"] != user_id or state["kind"] != kind:
            raise AdminError(NO_CEREMONY)
        return state

    # ---- the person's keys -----------------------------------------------------------------

    async def credentials(self, user_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(webauthn_credentials)
                    .where(webauthn_credentials.c.user_id == user_id)
                    .order_by(webauthn_credentials.c.created_at, webauthn_credentials.c.id)
                )
            ).all()
        return [
            {"id": r.id, "name": r.name, "created_at": iso(r.created_at), "last_used": iso(r.last_used)}
            for r in rows
        ]

    async def _credential_ids(self, user_id: str) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(webauthn_credentials.c.credential_id).where(webauthn_credentials.c.user_id == user_id)
            )
            return [r[0] for r in rows]

    async def registration_options(self, user_id: str, origin: str) -> dict[str, Any]:
        user = await self._accounts.user(user_id)
        rp_id = relying_party(origin)
        registered = await self._credential_ids(user_id)
        options = generate_registration_options(
            rp_id=rp_id,
            rp_name=RP_NAME,
            user_id=user_id.encode(),
            user_name=user["email_address"],
            user_display_name=user["name"],
            timeout=TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.DISCOURAGED,
                user_verification=UserVerificationRequirement.DISCOURAGED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in registered],
        )
        ceremony = await self._begin(user_id, "register", _origin(origin), options.challenge)
        return {"ceremony": ceremony, "options": json.loads(options_to_json(options))}

    async def register(self, user_id: str, ceremony: str, credential: dict[str, Any]) -> dict[str, Any]:
        state = await self._take(user_id, "register", ceremony)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(state["challenge"]),
                expected_rp_id=relying_party(state["origin"]),
                expected_origin=state["origin"],
            )
        except (WebAuthnException, ValueError, KeyError, TypeError):
            raise AdminError("The security key could not be registered") from None
        key_id = str(uuid.uuid4())
        credential_id = bytes_to_base64url(verified.credential_id)
        async with self.engine.begin() as conn:
            taken = (
                await conn.execute(
                    select(func.count()).where(webauthn_credentials.c.credential_id == credential_id)
                )
            ).scalar_one()
            if taken:
                raise AdminError("This security key is already registered", 409)
            await conn.execute(
                insert(webauthn_credentials).values(
                    id=key_id,
                    user_id=user_id,
                    credential_id=credential_id,
                    public_key=verified.credential_public_key,
                    sign_count=verified.sign_count,
                    name=DEFAULT_KEY_NAME,
                )
            )
            await conn.execute(
                update(console_users).where(console_users.c.id == user_id).values(auth_type=WEBAUTHN_AUTH)
            )
        return await self._one(user_id, key_id)

    async def _one(self, user_id: str, key_id: str) -> dict[str, Any]:
        for found in await self.credentials(user_id):
            if found["id"] == key_id:
                return found
        raise AdminError("Security key not found", 404)

    async def rename(self, user_id: str, key_id: str, name: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(webauthn_credentials)
                .where(and_(webauthn_credentials.c.id == key_id, webauthn_credentials.c.user_id == user_id))
                .values(name=name)
            )
        if result.rowcount == 0:
            raise AdminError("Security key not found", 404)
        return await self._one(user_id, key_id)

    async def delete(self, user_id: str, key_id: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            person = (
                await conn.execute(
                    select(console_users.c.auth_type).where(console_users.c.id == user_id).with_for_update()
                )
            ).first()
            if person is None:
                raise AdminError("User not found", 404)
            keys = (
                await conn.execute(
                    select(webauthn_credentials.c.id).where(webauthn_credentials.c.user_id == user_id)
                )
            ).all()
            if key_id not in {str(k.id) for k in keys}:
                raise AdminError("Security key not found", 404)
            if person.auth_type == WEBAUTHN_AUTH and len(keys) == 1:
                raise AdminError(LAST_KEY)
            await conn.execute(delete(webauthn_credentials).where(webauthn_credentials.c.id == key_id))
        return {"id": key_id}

    # ---- signing in ------------------------------------------------------------------------

    async def authentication_options(self, user_id: str, origin: str) -> dict[str, Any]:
        user = await self._accounts.user(user_id)
        if user["locked"]:
            raise AdminError("Account locked", 403)
        allowed = await self._credential_ids(user_id)
        if user["auth_type"] != WEBAUTHN_AUTH or not allowed:
            raise AdminError("This account does not sign in with a security key", 403)
        options = generate_authentication_options(
            rp_id=relying_party(origin),
            timeout=TIMEOUT_MS,
            allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in allowed],
            user_verification=UserVerificationRequirement.DISCOURAGED,
        )
        ceremony = await self._begin(user_id, "authenticate", _origin(origin), options.challenge)
        return {"ceremony": ceremony, "options": json.loads(options_to_json(options))}

    async def authenticate(self, user_id: str, ceremony: str, credential: dict[str, Any]) -> dict[str, Any]:
        """Checks a security key's answer; success records the sign-in, failure counts towards
        the lockout."""
        state = await self._take(user_id, "authenticate", ceremony)
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            person = (
                await conn.execute(
                    select(console_users.c.failed_login_count)
                    .where(console_users.c.id == user_id)
                    .with_for_update()
                )
            ).first()
            if person is None:
                raise AdminError("User not found", 404)
            if person.failed_login_count >= MAX_FAILED_LOGINS:
                raise AdminError(KEY_REFUSED)
            key = (
                await conn.execute(
                    select(webauthn_credentials).where(
                        and_(
                            webauthn_credentials.c.user_id == user_id,
                            webauthn_credentials.c.credential_id == str(credential.get("id", "")),
                        )
                    )
                )
            ).first()
            new_count: int | None = None
            if key is not None:
                try:
                    verified = verify_authentication_response(
                        credential=credential,
                        expected_challenge=base64url_to_bytes(state["challenge"]),
                        expected_rp_id=relying_party(state["origin"]),
                        expected_origin=state["origin"],
                        credential_public_key=key.public_key,
                        credential_current_sign_count=key.sign_count,
                    )
                    new_count = verified.new_sign_count
                except (WebAuthnException, ValueError, KeyError, TypeError):
                    new_count = None
            if key is None or new_count is None:
                await conn.execute(
                    update(console_users)
                    .where(console_users.c.id == user_id)
                    .values(failed_login_count=console_users.c.failed_login_count + 1)
                )
            else:
                await conn.execute(
                    update(webauthn_credentials)
                    .where(webauthn_credentials.c.id == key.id)
                    .values(sign_count=new_count, last_used=now)
                )
                await conn.execute(
                    update(console_users)
                    .where(console_users.c.id == user_id)
                    .values(failed_login_count=0, logged_in_at=now)
                )
        if key is None or new_count is None:
            raise AdminError(KEY_REFUSED)
        return await self._accounts.user(user_id)
