"""Accounts of the admin web console: users with a scrypt-hashed password and a second factor
(a code sent by text or email, or TOTP), and forgotten passwords. Memberships and invitations are
in ``console_teams``, reply-to address verification in ``console_reply_to``.

Refusals raise ``AdminError``. Wrong passwords and wrong codes count towards a lockout: after
``MAX_FAILED_LOGINS`` the account refuses every sign-in (Notify locks at 10) until a platform
admin resets it. Sign-in refusals never say whether the email address exists.

Forgotten passwords: ``request_reset`` issues a single-use link token (1 hour; only its SHA-256 is
kept; at most ``MAX_RESETS_PER_HOUR`` per account) and answers ``None`` alike for an unknown address
and for one that has asked too often, so the console's answer never varies. ``complete_reset`` sets
the new password, uses up every link of the account and clears the failed-login count (the second
factor is still needed to sign in). Any password change uses up the account's unused links.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_admin_api.store import AdminError
from notify_admin_api.tables.configuration import services
from notify_admin_api.tables.console import (
    console_password_resets,
    console_user_services,
    console_users,
    console_verify_codes,
)
from notify_common.recipients import InvalidRecipientError, normalise_phone_number, validate_email_address
from notify_common.secrets import SecretBox

PERMISSIONS = ("view_activity", "send_messages", "manage_templates", "manage_service", "manage_api_keys")
AUTH_TYPES = ("sms_auth", "email_auth", "totp")
MAX_FAILED_LOGINS = 10
CODE_LIFETIME = timedelta(minutes=30)
MAX_ACTIVE_CODES = 5
INVITE_LIFETIME = timedelta(days=2)
MIN_PASSWORD_LENGTH = 8
RESET_LIFETIME = timedelta(hours=1)
MAX_RESETS_PER_HOUR = 5
REPLY_TO_LIFETIME = timedelta(hours=24)
SIGN_IN_REFUSED = "The email address or password you entered is incorrect"
RESET_REFUSED = "The link in the email we sent you has expired or has already been used"
REPLY_TO_REFUSED = "The link in the email has expired or has already been used"
CODE_REFUSED = "Code not found or expired"

# scrypt: 2**15 iterations of 8-block rows, 32 MiB of memory per hash (RFC 7914's interactive setting).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=64 * 1024 * 1024
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024
    )
    return hmac.compare_digest(digest.hex(), expected)


_TIMING_HASH: list[str] = []


async def _timing_hash() -> str:
    """A hash to check passwords against when there is no account, made once."""
    if not _TIMING_HASH:
        _TIMING_HASH.append(await asyncio.to_thread(hash_password, secrets.token_urlsafe(16)))
    return _TIMING_HASH[0]


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def check_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise AdminError(f"Unknown permissions: {', '.join(unknown)}")
    return [p for p in PERMISSIONS if p in permissions]


class AccountStore:
    def __init__(self, engine: AsyncEngine, box: SecretBox) -> None:
        self.engine = engine
        self._box = box

    # ---- users ----------------------------------------------------------------------------

    async def create_user(
        self,
        *,
        name: str,
        email_address: str,
        password: str,
        mobile_number: str | None = None,
        auth_type: str = "sms_auth",
        platform_admin: bool = False,
    ) -> dict[str, Any]:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AdminError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
        if auth_type not in AUTH_TYPES:
            raise AdminError(f"auth_type must be one of {', '.join(AUTH_TYPES)}")
        try:
            email = validate_email_address(email_address)
            mobile = normalise_phone_number(mobile_number) if mobile_number else None
        except InvalidRecipientError as exc:
            raise AdminError(exc.message) from None
        if auth_type == "sms_auth" and mobile is None:
            raise AdminError("A mobile number is needed to sign in with a text message code")
        user_id = str(uuid.uuid4())
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(console_users).values(
                        id=user_id,
                        name=name,
                        email_address=email,
                        mobile_number=mobile,
                        password_hash=hash_password(password),
                        auth_type=auth_type,
                        platform_admin=platform_admin,
                    )
                )
        except IntegrityError:
            raise AdminError("A user with this email address already exists", 409) from None
        return await self.user(user_id)

    async def user(self, user_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            return await self._user(conn, user_id)

    async def _user(self, conn: AsyncConnection, user_id: str) -> dict[str, Any]:
        row = (
            (await conn.execute(select(console_users).where(console_users.c.id == user_id)))
            .mappings()
            .first()
        )
        if row is None:
            raise AdminError("User not found", 404)
        memberships = (
            await conn.execute(
                select(
                    console_user_services.c.service_id,
                    console_user_services.c.permissions,
                    services.c.name,
                    services.c.restricted,
                    services.c.active,
                )
                .join(services, services.c.id == console_user_services.c.service_id)
                .where(console_user_services.c.user_id == user_id)
                .order_by(services.c.name)
            )
        ).all()
        return {
            "id": str(row["id"]),
            "name": row["name"],
            "email_address": row["email_address"],
            "mobile_number": row["mobile_number"],
            "auth_type": row["auth_type"],
            "platform_admin": row["platform_admin"],
            "locked": row["failed_login_count"] >= MAX_FAILED_LOGINS,
            "logged_in_at": iso(row["logged_in_at"]),
            "password_changed_at": iso(row["password_changed_at"]),
            "sessions_not_before": iso(row["sessions_not_before"]),
            "services": [
                {
                    "id": str(m.service_id),
                    "name": m.name,
                    "live": not m.restricted,
                    "active": m.active,
                    "permissions": list(m.permissions),
                }
                for m in memberships
            ],
        }

    async def user_id_by_email(self, email_address: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(console_users.c.id).where(console_users.c.email_address == email_address.lower())
                )
            ).first()
        return str(row[0]) if row else None

    async def update_user(self, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if changes.get("name"):
            values["name"] = changes["name"]
        if changes.get("mobile_number"):
            try:
                values["mobile_number"] = normalise_phone_number(changes["mobile_number"])
            except InvalidRecipientError as exc:
                raise AdminError(exc.message) from None
        if changes.get("auth_type"):
            if changes["auth_type"] not in ("sms_auth", "email_auth"):
                raise AdminError("auth_type must be sms_auth or email_auth (TOTP is set up with a code)")
            values["auth_type"] = changes["auth_type"]
        if changes.get("password"):
            if len(changes["password"]) < MIN_PASSWORD_LENGTH:
                raise AdminError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
            values["password_hash"] = hash_password(changes["password"])
            values["password_changed_at"] = datetime.now(UTC)
        if changes.get("unlock"):
            values["failed_login_count"] = 0
        if values:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    update(console_users).where(console_users.c.id == user_id).values(**values)
                )
                if "password_hash" in values and result.rowcount:
                    await self._use_up_resets(conn, user_id, values["password_changed_at"])
            if result.rowcount == 0:
                raise AdminError("User not found", 404)
        return await self.user(user_id)

    async def end_sessions(self, user_id: str) -> dict[str, Any]:
        """End every session of the account, on every device, from now (sign-out, or a platform
        admin's "sign out everywhere")."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(console_users)
                .where(console_users.c.id == user_id)
                .values(sessions_not_before=func.now())
            )
            if result.rowcount == 0:
                raise AdminError("User not found", 404)
        return await self.user(user_id)

    async def verify_password(self, email_address: str, password: str) -> dict[str, Any]:
        """The user if the password is right and the account not locked; else one vague refusal."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(console_users)
                    .where(console_users.c.email_address == email_address.strip().lower())
                    .with_for_update()
                )
            ).first()
            # One password check whatever the account's state (unknown, locked or not), so the
            # answer's time does not tell which addresses have accounts; off the event loop.
            stored = row.password_hash if row is not None else await _timing_hash()
            right = await asyncio.to_thread(check_password, password, stored)
            if row is None or row.failed_login_count >= MAX_FAILED_LOGINS:
                raise AdminError(SIGN_IN_REFUSED)
            if not right:
                # Counted in this transaction, which must commit: the refusal is raised after it.
                await self._failed(conn, str(row.id))
        if not right:
            raise AdminError(SIGN_IN_REFUSED)
        return await self.user(str(row.id))

    async def _failed(self, conn: AsyncConnection, user_id: str) -> None:
        await conn.execute(
            update(console_users)
            .where(console_users.c.id == user_id)
            .values(failed_login_count=console_users.c.failed_login_count + 1)
        )

    # ---- second factor --------------------------------------------------------------------

    async def new_code(self, user_id: str, code_type: str) -> dict[str, Any]:
        """A fresh 5-digit code and where to send it; at most 5 unexpired codes at a time."""
        if code_type not in ("sms", "email"):
            raise AdminError("code_type must be sms or email")
        user = await self.user(user_id)
        if user["locked"]:
            raise AdminError("Account locked", 403)
        to = user["mobile_number"] if code_type == "sms" else user["email_address"]
        if not to:
            raise AdminError("The user has no mobile number")
        code = f"{secrets.randbelow(100_000):05d}"
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            active = (
                await conn.execute(
                    select(func.count()).where(
                        and_(
                            console_verify_codes.c.user_id == user_id,
                            console_verify_codes.c.used.is_(False),
                            console_verify_codes.c.expires_at > now,
                        )
                    )
                )
            ).scalar_one()
            if active >= MAX_ACTIVE_CODES:
                raise AdminError("Too many codes requested: use one you have, or wait", 429)
            await conn.execute(
                insert(console_verify_codes).values(
                    id=str(uuid.uuid4()),
                    user_id=user_id,
                    code_type=code_type,
                    code_sha256=token_digest(f"{user_id}:{code}"),
                    expires_at=now + CODE_LIFETIME,
                )
            )
        return {"code": code, "to": to, "code_type": code_type}

    async def verify_code(self, user_id: str, code: str, code_type: str) -> dict[str, Any]:
        """Checks a second-factor code (sms, email or totp); success records the sign-in."""
        code = code.replace(" ", "").strip()
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(console_users).where(console_users.c.id == user_id).with_for_update()
                )
            ).first()
            if row is None:
                raise AdminError("User not found", 404)
            if row.failed_login_count >= MAX_FAILED_LOGINS:
                raise AdminError(CODE_REFUSED)
            if code_type == "totp":
                ok = row.totp_secret is not None and pyotp.TOTP(self._box.open(row.totp_secret)).verify(
                    code, valid_window=1
                )
            else:
                result = await conn.execute(
                    update(console_verify_codes)
                    .where(
                        and_(
                            console_verify_codes.c.user_id == user_id,
                            console_verify_codes.c.code_type == code_type,
                            console_verify_codes.c.code_sha256 == token_digest(f"{user_id}:{code}"),
                            console_verify_codes.c.used.is_(False),
                            console_verify_codes.c.expires_at > now,
                        )
                    )
                    .values(used=True)
                )
                ok = result.rowcount > 0
            if not ok:
                await self._failed(conn, user_id)
            else:
                await conn.execute(
                    update(console_users)
                    .where(console_users.c.id == user_id)
                    .values(failed_login_count=0, logged_in_at=now)
                )
        if not ok:
            raise AdminError(CODE_REFUSED)
        return await self.user(user_id)

    async def start_totp(self, user_id: str, issuer: str) -> dict[str, Any]:
        """A new authenticator-app secret, pending until confirmed with a code from the app."""
        user = await self.user(user_id)
        secret = pyotp.random_base32()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(console_users)
                .where(console_users.c.id == user_id)
                .values(totp_pending_secret=self._box.seal(secret))
            )
        uri = pyotp.TOTP(secret).provisioning_uri(name=user["email_address"], issuer_name=issuer)
        return {"secret": secret, "provisioning_uri": uri}

    async def confirm_totp(self, user_id: str, code: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(console_users).where(console_users.c.id == user_id))).first()
            if row is None or row.totp_pending_secret is None:
                raise AdminError("Set up the authenticator app first")
            secret = self._box.open(row.totp_pending_secret)
            if not pyotp.TOTP(secret).verify(code.replace(" ", ""), valid_window=1):
                raise AdminError("Code not valid: check the time on your device and try again")
            await conn.execute(
                update(console_users)
                .where(console_users.c.id == user_id)
                .values(totp_secret=row.totp_pending_secret, totp_pending_secret=None, auth_type="totp")
            )
        return await self.user(user_id)

    # ---- forgotten password ----------------------------------------------------------------

    async def request_reset(self, email_address: str) -> dict[str, Any] | None:
        """A reset link token for the account with this address, or ``None`` (no such account, or
        ``MAX_RESETS_PER_HOUR`` links asked for in the last hour): the caller's answer is the same."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(console_users.c.id, console_users.c.name, console_users.c.email_address)
                    .where(console_users.c.email_address == email_address.strip().lower())
                    .with_for_update()  # one request at a time per account, so the count holds
                )
            ).first()
            if row is None:
                return None
            recent = (
                await conn.execute(
                    select(func.count()).where(
                        and_(
                            console_password_resets.c.user_id == row.id,
                            console_password_resets.c.created_at > now - timedelta(hours=1),
                        )
                    )
                )
            ).scalar_one()
            if recent >= MAX_RESETS_PER_HOUR:
                return None
            token = secrets.token_urlsafe(32)
            await conn.execute(
                insert(console_password_resets).values(
                    id=str(uuid.uuid4()),
                    user_id=row.id,
                    token_sha256=token_digest(token),
                    expires_at=now + RESET_LIFETIME,
                    created_at=now,
                )
            )
        return {"token": token, "email_address": row.email_address, "name": row.name}

    def _usable_reset(self, token: str, now: datetime) -> Any:
        return (
            select(
                console_password_resets.c.id,
                console_users.c.id.label("user_id"),
                console_users.c.email_address,
            )
            .join(console_users, console_users.c.id == console_password_resets.c.user_id)
            .where(
                and_(
                    console_password_resets.c.token_sha256 == token_digest(token),
                    console_password_resets.c.used_at.is_(None),
                    console_password_resets.c.expires_at > now,
                    console_password_resets.c.created_at >= console_users.c.password_changed_at,
                )
            )
        )

    async def check_reset(self, token: str) -> dict[str, Any]:
        """The address a usable reset link belongs to; refused if unknown, used or expired."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(self._usable_reset(token, datetime.now(UTC)))).first()
        if row is None:
            raise AdminError(RESET_REFUSED, 404)
        return {"email_address": row.email_address}

    async def complete_reset(self, token: str, password: str) -> dict[str, Any]:
        """Sets the new password with a usable link and uses up every link of the account."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AdminError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
        now = datetime.now(UTC)
        hashed = hash_password(password)
        async with self.engine.begin() as conn:
            row = (await conn.execute(self._usable_reset(token, now).with_for_update())).first()
            if row is None:
                raise AdminError(RESET_REFUSED, 404)
            await conn.execute(
                update(console_users)
                .where(console_users.c.id == row.user_id)
                .values(password_hash=hashed, password_changed_at=now, failed_login_count=0)
            )
            await self._use_up_resets(conn, str(row.user_id), now)
        return await self.user(str(row.user_id))

    async def _use_up_resets(self, conn: AsyncConnection, user_id: str, now: datetime) -> None:
        await conn.execute(
            update(console_password_resets)
            .where(
                and_(
                    console_password_resets.c.user_id == user_id,
                    console_password_resets.c.used_at.is_(None),
                )
            )
            .values(used_at=now)
        )
