"""Reads the configuration data the API needs from PostgreSQL: a service with its keys, sender
identities, team and guest list, limits and retention (one ``ServiceConfig``), and templates.

Configuration is cached in the process for ``config_cache_seconds`` (5 s by default), so the hot
path costs no query while a revoked key or an edited template still takes effect within seconds.
Template versions never change once written, so they are cached for longer.

While PostgreSQL cannot be reached, configuration loaded less than ``config_stale_seconds`` ago
keeps being served (sends go on; the event log, not the database, records what was accepted) and
the database is asked again only after another ``config_cache_seconds``; configuration never
loaded, or loaded longer ago, is not guessed at: the error stands (a 503 for the client). Until a
load succeeds again, that asking is done in the background: a request is served what is cached at
once instead of waiting for the bound of a database that is known not to answer (a hung one).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db.bounded import is_unavailable
from notify_common.db.tables import (
    api_keys,
    guest_list,
    services,
    team_members,
    template_versions,
    templates,
)
from notify_common.db.tables_api import (
    service_data_retention,
    service_email_reply_to,
    service_letter_contacts,
    service_sms_senders,
)
from notify_common.recipients import InvalidRecipientError, normalise_phone_number
from notify_common.secrets import SecretBox
from notify_common.templates.languages import TemplateLanguages, template_languages

log = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
STALE_SECONDS = 600.0
# While the database is unreachable, how soon it is asked again (at least) for a stale entry.
RETRY_SECONDS = 1.0
VERSION_CACHE_SIZE = 10_000
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    active: bool
    restricted: bool
    email_from: str
    prefix_sms: bool
    sms_sender: str
    permissions: tuple[str, ...]
    rate_limit: int
    sms_message_limit: int = 250_000
    email_message_limit: int = 250_000
    letter_message_limit: int = 20_000
    international_sms_message_limit: int = 100
    # How the people it sends files to can contact it (a URL, email address or phone number).
    contact_link: str | None = None


@dataclass(frozen=True)
class ApiKey:
    id: str
    service_id: str
    name: str
    key_type: str
    revoked: bool


@dataclass(frozen=True)
class ServiceConfig:
    """Everything about a service a send needs, loaded together and cached together."""

    service: Service
    keys: list[tuple[ApiKey, str]]
    sms_senders: dict[str, str] = field(default_factory=dict)  # id -> sender
    default_sms_sender: str = "GOVUK"
    reply_tos: dict[str, str] = field(default_factory=dict)  # id -> email address
    default_reply_to: str | None = None
    letter_contact_block: str | None = None
    allowed_emails: frozenset[str] = frozenset()
    allowed_mobiles: frozenset[str] = frozenset()
    retention_days: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    id: str
    service_id: str
    version: int
    name: str
    template_type: str
    subject: str | None
    content: str
    postage: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime | None
    created_by: str | None
    letter_contact_block: str | None
    # The language of ``subject`` and ``content``, and the template's texts in other languages.
    languages: TemplateLanguages = field(default_factory=TemplateLanguages)
    letter_languages: str | None = None  # "english" or "welsh_then_english" for letters
    letter_welsh_subject: str | None = None
    letter_welsh_content: str | None = None


@dataclass
class _Cached(Generic[T]):
    """A cached value: fresh until ``expires``; servable while the database is down until ``stale``."""

    expires: float
    stale: float
    value: T


class Repository:
    def __init__(
        self,
        engine: AsyncEngine,
        box: SecretBox,
        cache_seconds: float = CACHE_SECONDS,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        self.engine = engine
        self._box = box
        self._cache_seconds = cache_seconds
        self._stale_seconds = stale_seconds
        self._configs: dict[str, _Cached[ServiceConfig | None]] = {}
        self._templates: dict[tuple[str, str], _Cached[Template | None]] = {}
        self._versions: dict[tuple[str, str, int], Template] = {}
        self._loading: dict[str, asyncio.Future[ServiceConfig | None]] = {}
        self._loading_templates: dict[tuple[str, str], asyncio.Future[Template | None]] = {}
        # Set when a load found the database unreachable, cleared when one succeeds.
        self._unreachable = False
        self._background: set[asyncio.Task[Any]] = set()

    async def service_config(self, service_id: str) -> ServiceConfig | None:
        hit = self._configs.get(service_id)
        if hit is not None and hit.expires > time.monotonic():
            return hit.value
        stale = self._while_unreachable(self._configs, service_id, self._loading, self._load_config)
        if stale is not None:
            return stale.value
        # One load per service at a time: concurrent requests wait for it instead of stampeding.
        loading = self._loading.get(service_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load_config(service_id))
            self._loading[service_id] = loading
            try:
                return await self._refresh(self._configs, service_id, loading)
            finally:
                self._loading.pop(service_id, None)
        return await self._join(self._configs, service_id, loading)

    async def _refresh(self, cache: dict[K, _Cached[V]], key: K, loading: asyncio.Future[V]) -> V:
        """Await ``loading`` and cache its value; if the database is unreachable, serve the cached
        value still within its staleness bound instead (and ask again a little later)."""
        try:
            value = await loading
        except Exception as exc:
            return self._stale(cache, key, exc)
        now = time.monotonic()
        cache[key] = _Cached(now + self._cache_seconds, now + self._stale_seconds, value)
        self._unreachable = False
        return value

    def _while_unreachable(
        self,
        cache: dict[K, _Cached[V]],
        key: K,
        loadings: dict[K, asyncio.Future[V]],
        load: Callable[[K], Awaitable[V]],
    ) -> _Cached[V] | None:
        """While the database is known to be unreachable, the cached entry (if still servable),
        with the database asked again in the background (one load per key at a time)."""
        hit = cache.get(key)
        if not self._unreachable or hit is None or hit.stale <= time.monotonic():
            return None
        if key not in loadings:
            loading = asyncio.ensure_future(load(key))
            loadings[key] = loading
            refresh = asyncio.ensure_future(self._refresh(cache, key, loading))
            self._background.add(refresh)

            def done(task: asyncio.Task[V]) -> None:
                self._background.discard(task)
                loadings.pop(key, None)
                if not task.cancelled():
                    task.exception()  # an error here was the stale entry's to serve; nothing to raise

            refresh.add_done_callback(done)
        return hit

    async def _join(self, cache: dict[K, _Cached[V]], key: K, loading: asyncio.Future[V]) -> V:
        """Wait for a load another request started (the same fallback if the database is down)."""
        try:
            return await asyncio.shield(loading)
        except Exception as exc:
            return self._stale(cache, key, exc)

    def _stale(self, cache: dict[K, _Cached[V]], key: K, exc: Exception) -> V:
        hit = cache.get(key)
        now = time.monotonic()
        if is_unavailable(exc):
            self._unreachable = True
        if hit is None or hit.stale <= now or not is_unavailable(exc):
            raise exc
        hit.expires = now + max(self._cache_seconds, RETRY_SECONDS)
        return hit.value

    async def service_with_keys(self, service_id: str) -> tuple[Service | None, list[tuple[ApiKey, str]]]:
        config = await self.service_config(service_id)
        return (config.service, config.keys) if config else (None, [])

    def forget(self, service_id: str) -> None:
        """Drop a service's cached configuration and templates (its configuration changed)."""
        self._configs.pop(service_id, None)
        for key in [k for k in self._templates if k[0] == service_id]:
            self._templates.pop(key, None)

    async def _load_config(self, service_id: str) -> ServiceConfig | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(services).where(services.c.id == service_id))).mappings().first()
            if row is None:
                return None
            key_rows = (await conn.execute(select(api_keys).where(api_keys.c.service_id == service_id))).all()
            senders = (
                await conn.execute(
                    select(service_sms_senders).where(
                        and_(service_sms_senders.c.service_id == service_id, ~service_sms_senders.c.archived)
                    )
                )
            ).all()
            reply_tos = (
                await conn.execute(
                    select(service_email_reply_to).where(
                        and_(
                            service_email_reply_to.c.service_id == service_id,
                            ~service_email_reply_to.c.archived,
                        )
                    )
                )
            ).all()
            contacts = (
                await conn.execute(
                    select(service_letter_contacts).where(
                        and_(
                            service_letter_contacts.c.service_id == service_id,
                            ~service_letter_contacts.c.archived,
                            service_letter_contacts.c.is_default,
                        )
                    )
                )
            ).all()
            members = (
                await conn.execute(select(team_members).where(team_members.c.service_id == service_id))
            ).all()
            guests = (
                await conn.execute(select(guest_list).where(guest_list.c.service_id == service_id))
            ).all()
            retention = (
                await conn.execute(
                    select(service_data_retention).where(service_data_retention.c.service_id == service_id)
                )
            ).all()
        service = _service(row)
        default_sender = next((s.sms_sender for s in senders if s.is_default), service.sms_sender)
        emails = {m.email_address.strip().lower() for m in members}
        emails |= {g.recipient.strip().lower() for g in guests if g.recipient_type == "email"}
        mobiles = {_phone(m.mobile_number) for m in members if m.mobile_number}
        mobiles |= {_phone(g.recipient) for g in guests if g.recipient_type == "mobile"}
        return ServiceConfig(
            service=service,
            keys=self._openable_keys(service_id, key_rows),
            sms_senders={str(s.id): s.sms_sender for s in senders},
            default_sms_sender=default_sender,
            reply_tos={str(r.id): r.email_address for r in reply_tos},
            default_reply_to=next((r.email_address for r in reply_tos if r.is_default), None),
            letter_contact_block=contacts[0].contact_block if contacts else None,
            allowed_emails=frozenset(emails),
            allowed_mobiles=frozenset(m for m in mobiles if m),
            retention_days={r.notification_type: r.days_of_retention for r in retention},
        )

    def _openable_keys(self, service_id: str, key_rows: Sequence[Any]) -> list[tuple[ApiKey, str]]:
        """The service's keys with their secrets; a key sealed under another NOTIFY_SECRET_KEY (an
        installation whose secret changed) cannot be used and is left out, not fatal to the rest."""
        keys: list[tuple[ApiKey, str]] = []
        for k in key_rows:
            try:
                secret = self._box.open(k.secret)
            except ValueError:
                log.warning(
                    "API key cannot be decrypted with this NOTIFY_SECRET_KEY", extra={"key_id": str(k.id)}
                )
                continue
            key = ApiKey(
                id=str(k.id),
                service_id=service_id,
                name=k.name,
                key_type=k.key_type,
                revoked=k.expiry_date is not None,
            )
            keys.append((key, secret))
        return keys

    async def template(
        self, service_id: str, template_id: str, version: int | None = None
    ) -> Template | None:
        if version is not None:
            return await self._template_version(service_id, template_id, version)
        key = (service_id, template_id)
        hit = self._templates.get(key)
        if hit is not None and hit.expires > time.monotonic():
            return hit.value
        stale = self._while_unreachable(
            self._templates, key, self._loading_templates, lambda k: self._load_template(*k)
        )
        if stale is not None:
            return stale.value
        loading = self._loading_templates.get(key)
        if loading is not None:
            return await self._join(self._templates, key, loading)
        loading = asyncio.ensure_future(self._load_template(service_id, template_id))
        self._loading_templates[key] = loading
        try:
            return await self._refresh(self._templates, key, loading)
        finally:
            self._loading_templates.pop(key, None)

    async def _load_template(self, service_id: str, template_id: str) -> Template | None:
        query = select(templates).where(
            and_(templates.c.id == template_id, templates.c.service_id == service_id)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return _template(row, archived=bool(row["archived"])) if row else None

    async def _template_version(self, service_id: str, template_id: str, version: int) -> Template | None:
        key = (service_id, template_id, version)
        if key in self._versions:
            return self._versions[key]
        query = select(template_versions).where(
            and_(
                template_versions.c.id == template_id,
                template_versions.c.version == version,
                template_versions.c.service_id == service_id,
            )
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        found = _template(row, archived=False)
        if len(self._versions) >= VERSION_CACHE_SIZE:
            self._versions.clear()
        self._versions[key] = found
        return found

    async def templates(self, service_id: str, template_type: str | None) -> list[Template]:
        """The latest version of every template of the service that is not archived."""
        query = select(templates).where(and_(templates.c.service_id == service_id, ~templates.c.archived))
        if template_type:
            query = query.where(templates.c.template_type == template_type)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(templates.c.name))).mappings().all()
        return [_template(r, archived=False) for r in rows]


def _phone(number: str) -> str:
    try:
        return normalise_phone_number(number)
    except InvalidRecipientError:
        return ""


def _service(row: Any) -> Service:
    return Service(
        id=str(row["id"]),
        name=row["name"],
        active=row["active"],
        restricted=row["restricted"],
        email_from=row["email_from"],
        prefix_sms=row["prefix_sms"],
        sms_sender=row["sms_sender"],
        permissions=tuple(row["permissions"]),
        rate_limit=row["rate_limit"],
        sms_message_limit=row["sms_message_limit"],
        email_message_limit=row["email_message_limit"],
        letter_message_limit=row["letter_message_limit"],
        international_sms_message_limit=row["international_sms_message_limit"],
        contact_link=row["contact_link"],
    )


def _template(row: Any, *, archived: bool) -> Template:
    return Template(
        id=str(row["id"]),
        service_id=str(row["service_id"]),
        version=row["version"],
        name=row["name"],
        template_type=row["template_type"],
        subject=row["subject"],
        content=row["content"],
        postage=row["postage"],
        archived=archived,
        created_at=row["created_at"],
        updated_at=row.get("updated_at"),
        created_by=row["created_by"],
        letter_contact_block=row["letter_contact_block"],
        languages=template_languages(row["language"], row["language_variants"]),
        letter_languages=row["letter_languages"],
        letter_welsh_subject=row["letter_welsh_subject"],
        letter_welsh_content=row["letter_welsh_content"],
    )
