"""Writes configuration data: services, API keys, templates (every change a new version), team
members and the guest list, sender identities, callbacks, retention and inbound numbers. Used by
the admin API and the ``notify-admin`` CLI. Refusals raise ``AdminError`` with a message for people.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_admin_api.tables.configuration import (
    api_keys,
    guest_list,
    services,
    team_members,
    template_versions,
    templates,
)
from notify_admin_api.tables.service_settings import (
    inbound_numbers,
    service_callback_api,
    service_data_retention,
    service_email_reply_to,
    service_letter_contacts,
    service_sms_senders,
)
from notify_admin_api.template_languages import LANGUAGE_FIELDS, LanguageError, checked_languages
from notify_common.outbound import Network, UnsafeDestinationError, check_url
from notify_common.recipients import InvalidRecipientError, normalise_phone_number, validate_email_address
from notify_common.secrets import SecretBox
from notify_common.templates import SMS_CHAR_LIMIT

KEY_TYPES = ("normal", "team", "test")
TEMPLATE_TYPES = ("sms", "email", "letter")
POSTAGE = ("first", "second", "economy")
# The language fields of a template as the admin API names them, and their columns.
STORED_LANGUAGE_FIELDS = {
    field: "language_variants" if field == "variants" else field for field in LANGUAGE_FIELDS
}
CALLBACK_TYPES = ("delivery_status", "complaint", "inbound_sms", "returned_letter")
GUEST_LIST_MAX = 5
TRIAL_LIMITS = {"sms": 50, "email": 50, "letter": 50, "international_sms": 100}
LIVE_LIMITS = {"sms": 250_000, "email": 250_000, "letter": 20_000, "international_sms": 100}
SERVICE_FIELDS = (
    "name",
    "active",
    "restricted",
    "email_from",
    "prefix_sms",
    "sms_sender",
    "permissions",
    "rate_limit",
    "sms_message_limit",
    "email_message_limit",
    "letter_message_limit",
    "international_sms_message_limit",
    "contact_link",
)
CONTACT_LINK_MAX = 255
# A phone number as people write one: digits, spaces, brackets, dots, dashes, a leading "+".
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-]*")
CONTACT_LINK_ERROR = (
    "contact_link must be a URL starting with http:// or https://, an email address or a phone number"
)


class AdminError(ValueError):
    """A change the admin API refuses; ``status_code`` is 400, 404 or 409."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class CreatedKey:
    id: str
    key_type: str
    combined: str  # shown once: "{name}-{service_id}-{secret}"


def new_signing_secret() -> str:
    """A fresh Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_signing_secret(secret: str) -> str:
    """A callback signing secret as Standard Webhooks has it: ``whsec_`` and the base64 of 24 to 64
    random bytes, or any other string of 24 to 255 characters (used as its UTF-8 bytes)."""
    if secret.startswith("whsec_"):
        try:
            key = base64.b64decode(secret[len("whsec_") :], validate=True)
        except binascii.Error:
            raise AdminError("signing_secret after whsec_ is not valid base64") from None
        if not 24 <= len(key) <= 64:
            raise AdminError("signing_secret after whsec_ must decode to 24 to 64 bytes")
        return secret
    if not 24 <= len(secret) <= 255:
        raise AdminError("signing_secret must be 24 to 255 characters long (or whsec_ and base64)")
    return secret


def combined_key(name: str, service_id: str, secret: str) -> str:
    """The key as Notify's clients expect it; spaces in the name become underscores."""
    safe_name = re.sub(r"\s", "_", name)
    return f"{safe_name}-{service_id}-{secret}"


def contact_link_value(given: str | None) -> str | None:
    """The contact link to store (None when cleared), or ``AdminError`` when it is none of a URL,
    an email address or a phone number: the download page links to it as one of those."""
    value = (given or "").strip()
    if not value:
        return None
    if len(value) > CONTACT_LINK_MAX or not value.isprintable():
        raise AdminError(CONTACT_LINK_ERROR)
    if value.lower().startswith(("http://", "https://")):
        try:
            host = urlsplit(value).hostname
        except ValueError:  # e.g. an unclosed IPv6 bracket
            host = None
        if " " in value or not host or "." not in host.strip("."):
            raise AdminError(CONTACT_LINK_ERROR)
        return value
    if "@" in value:
        try:
            validate_email_address(value)
        except InvalidRecipientError:
            raise AdminError(CONTACT_LINK_ERROR) from None
        return value
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.fullmatch(value) or not 5 <= digits <= 15:
        raise AdminError(CONTACT_LINK_ERROR)
    return value


# ``ApiSettings.acting_admin_email`` with the default email domain.
DEFAULT_ADMIN_EMAIL = "notify-admin@notifications.service.gov.uk"


def _jsonable(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(row).items()}


class AdminStore:
    def __init__(
        self,
        engine: AsyncEngine,
        box: SecretBox,
        callback_networks: Sequence[Network] = (),
        *,
        admin_email: str = DEFAULT_ADMIN_EMAIL,
    ) -> None:
        """``admin_email`` is who a template version is created by when no one else is named;
        ``callback_networks`` are internal networks callbacks may reach
        (NOTIFY_CALLBACK_ALLOWED_NETWORKS; none by default)."""
        self.engine = engine
        self._box = box
        self._admin_email = admin_email
        self._callback_networks = tuple(callback_networks)

    async def check_callback_url(self, url: str) -> None:
        """Refuse a callback URL the platform must not send to (docs/security.md)."""
        try:
            await check_url(url, self._callback_networks)
        except UnsafeDestinationError as exc:
            raise AdminError(str(exc)) from exc

    def _creator(self, created_by: str | None) -> str:
        """The email address a template version records as its creator, as Notify shows it."""
        if created_by is None:
            return self._admin_email
        try:
            validate_email_address(created_by)
        except InvalidRecipientError:
            raise AdminError("created_by must be an email address") from None
        return created_by.strip()

    # ---- services ---------------------------------------------------------------------------

    async def service_id_by_name(self, name: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(services.c.id).where(services.c.name == name))).first()
        return str(row[0]) if row else None

    async def create_service(
        self,
        name: str,
        *,
        live: bool,
        email_from: str,
        permissions: tuple[str, ...] = ("sms", "email", "letter", "international_sms"),
        **settings: Any,
    ) -> str:
        service_id = str(uuid.uuid4())
        limits = LIVE_LIMITS if live else TRIAL_LIMITS
        values: dict[str, Any] = {
            "id": service_id,
            "name": name,
            "restricted": not live,
            "email_from": email_from,
            "permissions": list(permissions),
            "sms_message_limit": limits["sms"],
            "email_message_limit": limits["email"],
            "letter_message_limit": limits["letter"],
            "international_sms_message_limit": limits["international_sms"],
        }
        values.update({k: v for k, v in settings.items() if k in SERVICE_FIELDS and v is not None})
        if "contact_link" in values:
            values["contact_link"] = contact_link_value(values["contact_link"])
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(services).values(**values))
        except IntegrityError:
            raise AdminError(f"A service called {name} already exists", 409) from None
        return service_id

    async def service(self, service_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(services).where(services.c.id == service_id))).mappings().first()
            if row is None:
                raise AdminError("Service not found", 404)
            retention = (
                await conn.execute(
                    select(service_data_retention).where(service_data_retention.c.service_id == service_id)
                )
            ).all()
        out = _jsonable(row)
        out["live"] = not row["restricted"]
        out["data_retention"] = {r.notification_type: r.days_of_retention for r in retention}
        return out

    async def services(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(services).order_by(services.c.name))).mappings().all()
        return [{**_jsonable(r), "live": not r["restricted"]} for r in rows]

    async def update_service(self, service_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        values = {k: v for k, v in changes.items() if k in SERVICE_FIELDS}
        if "contact_link" in values:  # None or "" clears it
            values["contact_link"] = contact_link_value(values["contact_link"])
        if "live" in changes:
            values["restricted"] = not changes["live"]
            if changes["live"]:
                # Going live lifts the trial limits to the live defaults unless given explicitly.
                for name, limit in LIVE_LIMITS.items():
                    values.setdefault(f"{name}_message_limit", limit)
        if values:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    update(services).where(services.c.id == service_id).values(**values)
                )
                if result.rowcount == 0:
                    raise AdminError("Service not found", 404)
        return await self.service(service_id)

    async def set_retention(self, service_id: str, notification_type: str, days: int) -> None:
        if notification_type not in TEMPLATE_TYPES:
            raise AdminError(f"notification_type must be one of {', '.join(TEMPLATE_TYPES)}")
        if not 3 <= days <= 90:
            raise AdminError("days_of_retention must be between 3 and 90")
        await self._require_service(service_id)
        statement = pg_insert(service_data_retention).values(
            service_id=service_id, notification_type=notification_type, days_of_retention=days
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["service_id", "notification_type"], set_={"days_of_retention": days}
                )
            )

    async def _require_service(self, service_id: str, conn: AsyncConnection | None = None) -> None:
        query = select(services.c.id).where(services.c.id == service_id)
        if conn is not None:
            found = (await conn.execute(query)).first()
        else:
            async with self.engine.connect() as own:
                found = (await own.execute(query)).first()
        if found is None:
            raise AdminError("Service not found", 404)

    # ---- API keys ---------------------------------------------------------------------------

    async def create_api_key(self, service_id: str, name: str, key_type: str) -> CreatedKey:
        if key_type not in KEY_TYPES:
            raise AdminError(f"key type must be one of {', '.join(KEY_TYPES)}")
        key_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(select(services.c.restricted).where(services.c.id == service_id))
            ).first()
            if row is None:
                raise AdminError("Service not found", 404)
            if key_type == "normal" and row.restricted:
                raise AdminError("Live keys cannot be created while the service is in trial mode")
            try:
                await conn.execute(
                    insert(api_keys).values(
                        id=key_id,
                        service_id=service_id,
                        name=name,
                        key_type=key_type,
                        secret=self._box.seal(secret),
                    )
                )
            except IntegrityError:
                raise AdminError(f"An active key called {name} already exists", 409) from None
        return CreatedKey(id=key_id, key_type=key_type, combined=combined_key(name, service_id, secret))

    async def api_keys(self, service_id: str) -> list[dict[str, Any]]:
        columns = [
            api_keys.c.id,
            api_keys.c.name,
            api_keys.c.key_type,
            api_keys.c.created_at,
            api_keys.c.expiry_date,
        ]
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(*columns)
                        .where(api_keys.c.service_id == service_id)
                        .order_by(api_keys.c.created_at)
                    )
                )
                .mappings()
                .all()
            )
        return [_jsonable(r) for r in rows]

    async def revoke_api_key(self, service_id: str, key_id: str) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(
                    and_(
                        api_keys.c.id == key_id,
                        api_keys.c.service_id == service_id,
                        api_keys.c.expiry_date.is_(None),
                    )
                )
                .values(expiry_date=func.now())
            )
        if result.rowcount == 0:
            raise AdminError("API key not found (or already revoked)", 404)

    # ---- templates --------------------------------------------------------------------------

    @staticmethod
    def _check_template(
        template_type: str,
        content: str,
        subject: str | None,
        postage: str | None,
        has_unsubscribe_link: bool = False,
    ) -> None:
        if template_type not in TEMPLATE_TYPES:
            raise AdminError(f"template type must be one of {', '.join(TEMPLATE_TYPES)}")
        if not content.strip():
            raise AdminError("content can not be empty")
        if template_type == "sms" and len(content) > SMS_CHAR_LIMIT:
            raise AdminError(f"Content has a character count greater than the limit of {SMS_CHAR_LIMIT}")
        if template_type != "sms" and not (subject or "").strip():
            raise AdminError("subject is required for email and letter templates")
        if postage is not None and postage not in POSTAGE:
            raise AdminError("postage must be first, second or economy")
        if has_unsubscribe_link and template_type != "email":
            raise AdminError("has_unsubscribe_link is only for email templates")

    async def create_template(
        self,
        service_id: str,
        *,
        name: str,
        template_type: str,
        content: str,
        subject: str | None = None,
        postage: str | None = None,
        created_by: str | None = None,
        letter_contact_block: str | None = None,
        has_unsubscribe_link: bool = False,
        **languages: Any,
    ) -> str:
        """``languages``: any of ``template_languages.LANGUAGE_FIELDS`` (docs/languages.md)."""
        self._check_template(template_type, content, subject, postage, has_unsubscribe_link)
        language_columns = self._languages(template_type, languages)
        created_by = self._creator(created_by)
        template_id = str(uuid.uuid4())
        values = {
            "id": template_id,
            "service_id": service_id,
            "name": name,
            "template_type": template_type,
            "content": content,
            "subject": subject if template_type != "sms" else None,
            "postage": (postage or "second") if template_type == "letter" else None,
            "created_by": created_by,
            "letter_contact_block": letter_contact_block if template_type == "letter" else None,
            "has_unsubscribe_link": has_unsubscribe_link,
            **language_columns,
        }
        async with self.engine.begin() as conn:
            await self._require_service(service_id, conn)
            await conn.execute(insert(templates).values(**values, version=1))
            await conn.execute(insert(template_versions).values(**values, version=1))
        return template_id

    def _languages(self, template_type: str, given: dict[str, Any]) -> dict[str, Any]:
        def check_texts(kind: str, content: str, subject: str | None) -> None:
            self._check_template(kind, content, subject, None)

        try:
            return checked_languages(template_type, given, check_texts)
        except LanguageError as exc:
            raise AdminError(exc.message) from None

    async def update_template(self, service_id: str, template_id: str, changes: dict[str, Any]) -> int:
        """Apply ``changes`` as a new version; returns the new version number. The new version is
        created by ``changes["created_by"]``, else by the admin email, never by the last editor."""
        allowed = (
            "name",
            "content",
            "subject",
            "postage",
            "letter_contact_block",
            "created_by",
            "has_unsubscribe_link",
        )
        changes = {**changes, "created_by": self._creator(changes.get("created_by"))}
        async with self.engine.begin() as conn:
            row = (
                (
                    await conn.execute(
                        select(templates)
                        .where(and_(templates.c.id == template_id, templates.c.service_id == service_id))
                        .with_for_update()
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise AdminError("Template not found", 404)
            if row["archived"]:
                raise AdminError("Template has been deleted")
            current = {k: row[k] for k in (*allowed, "template_type")}
            current.update({k: v for k, v in changes.items() if k in allowed})
            self._check_template(
                current["template_type"],
                current["content"],
                current["subject"],
                current["postage"],
                current["has_unsubscribe_link"],
            )
            stored = {field: row[column] for field, column in STORED_LANGUAGE_FIELDS.items()}
            given = {k: v for k, v in changes.items() if k in LANGUAGE_FIELDS}
            current.update(self._languages(current["template_type"], {**stored, **given}))
            version = int(row["version"]) + 1
            await conn.execute(
                update(templates)
                .where(templates.c.id == template_id)
                .values(**current, version=version, updated_at=datetime.now(UTC))
            )
            await conn.execute(
                insert(template_versions).values(
                    **current, id=template_id, service_id=service_id, version=version
                )
            )
        return version

    async def archive_template(self, service_id: str, template_id: str) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(templates)
                .where(and_(templates.c.id == template_id, templates.c.service_id == service_id))
                .values(archived=True, updated_at=datetime.now(UTC))
            )
        if result.rowcount == 0:
            raise AdminError("Template not found", 404)

    async def template_versions(self, service_id: str, template_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(template_versions)
                        .where(
                            and_(
                                template_versions.c.id == template_id,
                                template_versions.c.service_id == service_id,
                            )
                        )
                        .order_by(template_versions.c.version)
                    )
                )
                .mappings()
                .all()
            )
        return [_jsonable(r) for r in rows]

    async def template_id_by_name(self, service_id: str, name: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(templates.c.id).where(
                        and_(templates.c.service_id == service_id, templates.c.name == name)
                    )
                )
            ).first()
        return str(row[0]) if row else None

    # ---- team and guest list ----------------------------------------------------------------

    async def add_team_member(
        self, service_id: str, email_address: str, mobile_number: str | None, name: str | None = None
    ) -> None:
        try:
            email = validate_email_address(email_address)
            mobile = normalise_phone_number(mobile_number) if mobile_number else None
        except InvalidRecipientError as exc:
            raise AdminError(exc.message) from None
        try:
            async with self.engine.begin() as conn:
                await self._require_service(service_id, conn)
                await conn.execute(
                    insert(team_members).values(
                        service_id=service_id, email_address=email, mobile_number=mobile, name=name
                    )
                )
        except IntegrityError:
            raise AdminError("Already a member of the team", 409) from None

    async def remove_team_member(self, service_id: str, email_address: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(team_members).where(
                    and_(
                        team_members.c.service_id == service_id,
                        team_members.c.email_address == email_address.lower(),
                    )
                )
            )

    async def team(self, service_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                (await conn.execute(select(team_members).where(team_members.c.service_id == service_id)))
                .mappings()
                .all()
            )
        return [_jsonable(r) for r in rows]

    async def set_guest_list(self, service_id: str, emails: list[str], mobiles: list[str]) -> None:
        """Replace the guest list: at most 5 email addresses and 5 mobile numbers."""
        if len(emails) > GUEST_LIST_MAX or len(mobiles) > GUEST_LIST_MAX:
            raise AdminError(
                f"The guest list holds at most {GUEST_LIST_MAX} email addresses and {GUEST_LIST_MAX} numbers"
            )
        try:
            entries = [("email", validate_email_address(e)) for e in emails]
            entries += [("mobile", normalise_phone_number(m)) for m in mobiles]
        except InvalidRecipientError as exc:
            raise AdminError(exc.message) from None
        async with self.engine.begin() as conn:
            await self._require_service(service_id, conn)
            await conn.execute(delete(guest_list).where(guest_list.c.service_id == service_id))
            if entries:
                await conn.execute(
                    insert(guest_list),
                    [
                        {"service_id": service_id, "recipient_type": t, "recipient": r}
                        for t, r in dict.fromkeys(entries)
                    ],
                )

    async def add_to_guest_list(self, service_id: str, recipient_type: str, recipient: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(guest_list).values(
                    service_id=service_id, recipient_type=recipient_type, recipient=recipient
                )
            )

    async def guest_list(self, service_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                (await conn.execute(select(guest_list).where(guest_list.c.service_id == service_id)))
                .mappings()
                .all()
            )
        return [_jsonable(r) for r in rows]

    # ---- sender identities, callbacks, inbound numbers --------------------------------------

    async def add_identity(self, service_id: str, kind: str, value: str, *, is_default: bool) -> str:
        """An SMS sender (``sms_sender``), email reply-to (``email_reply_to``) or letter contact block."""
        table, column = {
            "sms_sender": (service_sms_senders, "sms_sender"),
            "email_reply_to": (service_email_reply_to, "email_address"),
            "letter_contact": (service_letter_contacts, "contact_block"),
        }[kind]
        if kind == "sms_sender" and not (1 <= len(value) <= 11 and value.replace(" ", "").isalnum()):
            raise AdminError("An SMS sender is 1 to 11 letters or digits")
        if kind == "email_reply_to":
            try:
                value = validate_email_address(value)
            except InvalidRecipientError as exc:
                raise AdminError(exc.message) from None
        identity_id = str(uuid.uuid4())
        async with self.engine.begin() as conn:
            await self._require_service(service_id, conn)
            existing = (
                await conn.execute(select(func.count()).where(table.c.service_id == service_id))
            ).scalar_one()
            default = is_default or existing == 0
            if default:
                await conn.execute(
                    update(table).where(table.c.service_id == service_id).values(is_default=False)
                )
            await conn.execute(
                insert(table).values(
                    id=identity_id, service_id=service_id, is_default=default, **{column: value}
                )
            )
        return identity_id

    async def identities(self, service_id: str, kind: str) -> list[dict[str, Any]]:
        table = {
            "sms_sender": service_sms_senders,
            "email_reply_to": service_email_reply_to,
            "letter_contact": service_letter_contacts,
        }[kind]
        async with self.engine.connect() as conn:
            rows = (
                (await conn.execute(select(table).where(table.c.service_id == service_id))).mappings().all()
            )
        return [_jsonable(r) for r in rows]

    async def set_callback(
        self,
        service_id: str,
        callback_type: str,
        url: str,
        bearer_token: str,
        signing_secret: str | None = None,
    ) -> None:
        """A callback URL and its bearer token; a signing secret too when given (an existing one
        is kept when not: it is changed or removed with ``set_callback_signing_secret``)."""
        if callback_type not in CALLBACK_TYPES:
            raise AdminError(f"callback_type must be one of {', '.join(CALLBACK_TYPES)}")
        await self.check_callback_url(url)
        if len(bearer_token) < 10:
            raise AdminError("bearer_token is too short (at least 10 characters)")
        sealed = self._box.seal(bearer_token)
        changes: dict[str, Any] = {"url": url, "bearer_token": sealed}
        if signing_secret is not None:
            changes["signing_secret"] = self._box.seal(check_signing_secret(signing_secret))
        statement = pg_insert(service_callback_api).values(
            id=str(uuid.uuid4()), service_id=service_id, callback_type=callback_type, **changes
        )
        async with self.engine.begin() as conn:
            await self._require_service(service_id, conn)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["service_id", "callback_type"],
                    set_={**changes, "updated_at": func.now()},
                )
            )

    async def set_callback_signing_secret(
        self, service_id: str, callback_type: str, secret: str | None
    ) -> None:
        """Set, rotate (a new secret replaces the old at once) or, with None, remove the secret
        callbacks of this type are signed with."""
        if callback_type not in CALLBACK_TYPES:
            raise AdminError(f"callback_type must be one of {', '.join(CALLBACK_TYPES)}")
        sealed = self._box.seal(check_signing_secret(secret)) if secret is not None else None
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(service_callback_api)
                .where(
                    and_(
                        service_callback_api.c.service_id == service_id,
                        service_callback_api.c.callback_type == callback_type,
                    )
                )
                .values(signing_secret=sealed, updated_at=func.now())
            )
        if changed.rowcount == 0:
            raise AdminError("There is no callback of this type: set its url and bearer token first", 404)

    async def remove_callback(self, service_id: str, callback_type: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(service_callback_api).where(
                    and_(
                        service_callback_api.c.service_id == service_id,
                        service_callback_api.c.callback_type == callback_type,
                    )
                )
            )

    async def callbacks(self, service_id: str) -> list[dict[str, Any]]:
        """Callback URLs and whether they are signed; bearer tokens and secrets are never shown."""
        columns = [
            service_callback_api.c.callback_type,
            service_callback_api.c.url,
            service_callback_api.c.updated_at,
            service_callback_api.c.signing_secret.is_not(None).label("signed"),
        ]
        async with self.engine.connect() as conn:
            rows = (
                (await conn.execute(select(*columns).where(service_callback_api.c.service_id == service_id)))
                .mappings()
                .all()
            )
        return [_jsonable(r) for r in rows]

    async def callback(self, service_id: str, callback_type: str) -> dict[str, Any]:
        """One callback: its URL and whether a bearer token is set; the token is never shown back."""
        if callback_type not in CALLBACK_TYPES:
            raise AdminError(f"callback_type must be one of {', '.join(CALLBACK_TYPES)}")
        query = select(
            service_callback_api.c.callback_type,
            service_callback_api.c.url,
            service_callback_api.c.updated_at,
            func.coalesce(service_callback_api.c.bearer_token != "", False).label("bearer_token_set"),
        ).where(
            and_(
                service_callback_api.c.service_id == service_id,
                service_callback_api.c.callback_type == callback_type,
            )
        )
        async with self.engine.connect() as conn:
            await self._require_service(service_id, conn)
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            raise AdminError(f"No {callback_type} callback is set for this service", 404)
        return _jsonable(row)

    async def add_inbound_number(self, number: str, provider: str, service_id: str | None = None) -> str:
        number_id = str(uuid.uuid4())
        try:
            async with self.engine.begin() as conn:
                if service_id is not None:
                    await self._require_service(service_id, conn)
                await conn.execute(
                    insert(inbound_numbers).values(
                        id=number_id, number=number, provider=provider, service_id=service_id
                    )
                )
                if service_id is not None:
                    await self._use_inbound_number(conn, service_id, number_id, number)
        except IntegrityError:
            raise AdminError("That number (or the service's inbound number) already exists", 409) from None
        return number_id

    async def assign_inbound_number(self, service_id: str, number_id: str) -> None:
        try:
            async with self.engine.begin() as conn:
                await self._require_service(service_id, conn)
                row = (
                    await conn.execute(select(inbound_numbers).where(inbound_numbers.c.id == number_id))
                ).first()
                if row is None:
                    raise AdminError("Inbound number not found", 404)
                if row.service_id is not None and str(row.service_id) != service_id:
                    raise AdminError("Inbound number is in use by another service", 409)
                await conn.execute(
                    update(inbound_numbers)
                    .where(inbound_numbers.c.id == number_id)
                    .values(service_id=service_id)
                )
                await self._use_inbound_number(conn, service_id, number_id, row.number)
        except IntegrityError:
            raise AdminError("The service already has an inbound number", 409) from None

    async def _use_inbound_number(
        self, conn: AsyncConnection, service_id: str, number_id: str, number: str
    ) -> None:
        """A service with an inbound number sends from it by default, as in Notify."""
        await conn.execute(
            update(service_sms_senders)
            .where(service_sms_senders.c.service_id == service_id)
            .values(is_default=False)
        )
        await conn.execute(
            insert(service_sms_senders).values(
                id=str(uuid.uuid4()),
                service_id=service_id,
                sms_sender=number[-11:],
                is_default=True,
                inbound_number_id=number_id,
            )
        )

    async def inbound_numbers(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                (await conn.execute(select(inbound_numbers).order_by(inbound_numbers.c.number)))
                .mappings()
                .all()
            )
        return [_jsonable(r) for r in rows]
