"""Telling a service's team that it is nearing an annual limit (docs/limits.md).

The api-gateway leaves one warning per service, channel, financial year and threshold (80 %, 90 %)
on a Redis list (``notify_common.annual_limits.warnings_key``). The admin-api takes them off it:
each becomes an entry in the service's history (by the platform, ``system``) and an email, through
the platform's own service and the public API as sign-in codes are, to every team member who can
manage the service. An email that cannot be sent puts its warning back for the next round; its
history entry has an id made from the warning, so it is stored once however often it is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.service_history import Actor, ServiceHistory, change, record
from notify_admin_api.tables.configuration import services
from notify_admin_api.tables.console import console_user_services, console_users

log = logging.getLogger(__name__)

PLATFORM = Actor("system", "notify")
CHANNEL_WORDS = {"sms": "text", "email": "email", "letter": "letter"}
BATCH = 50

Mailer = Callable[[dict[str, Any]], Awaitable[None]]


def history_entry_id(warning: dict[str, Any]) -> str:
    name = f"{warning['service_id']}:{warning['channel']}:{warning['year']}:{warning['percentage']}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"annual-limit-warning:{name}"))


class LimitWarnings:
    def __init__(self, redis: Redis, key: str, history: ServiceHistory, mail: Mailer) -> None:  # type: ignore[type-arg]
        self._redis = redis
        self._key = key
        self._history = history
        self._mail = mail

    async def take(self) -> int:
        """Handle the warnings waiting now; returns how many were handled."""
        handled = 0
        while handled < BATCH:
            raw = await self._redis.lpop(self._key)
            if raw is None:
                break
            warning: dict[str, Any] = json.loads(raw)
            entry = record(
                warning["service_id"],
                "annual_limit.warning",
                PLATFORM,
                event_id=history_entry_id(warning),
                changes=[
                    change(f"{warning['channel']}_annual_limit_used", None, f"{warning['percentage']}%"),
                ],
            )
            await self._history.keep([entry])
            try:
                await self._mail(warning)
            except Exception as exc:  # the gateway or Kafka is away: try again in a later round
                log.warning("annual limit warning not emailed yet", extra={"error": type(exc).__name__})
                await self._redis.rpush(self._key, raw)
                break
            handled += 1
        return handled

    async def run(self, stop: asyncio.Event, every_seconds: float = 2.0) -> None:
        while not stop.is_set():
            try:
                await self.take()
            except (RedisError, OSError) as exc:
                log.warning("annual limit warnings not read", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_seconds)


class TeamMailer:
    """Emails a warning to the service's managers from the platform's own service (``platform``
    gives its combined key and template ids, made on first use)."""

    def __init__(
        self,
        engine: AsyncEngine,
        client: httpx.AsyncClient,
        platform: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        self._engine = engine
        self._client = client
        self._platform = platform

    async def managers(self, service_id: str) -> tuple[str, list[str]]:
        async with self._engine.connect() as conn:
            name = (
                await conn.execute(select(services.c.name).where(services.c.id == service_id))
            ).scalar_one()
            rows = (
                await conn.execute(
                    select(console_users.c.email_address)
                    .join(console_user_services, console_user_services.c.user_id == console_users.c.id)
                    .where(
                        console_user_services.c.service_id == service_id,
                        literal("manage_service") == any_(console_user_services.c.permissions),
                    )
                )
            ).all()
        return str(name), sorted(r.email_address for r in rows)

    async def __call__(self, warning: dict[str, Any]) -> None:
        name, recipients = await self.managers(warning["service_id"])
        if not recipients:
            return
        platform = await self._platform()
        key: str = platform["key"]
        token = jwt.encode({"iss": key[-73:-37], "iat": int(time.time())}, key[-36:], algorithm="HS256")
        used = warning.get("used", warning["limit"] * warning["percentage"] // 100)
        for address in recipients:
            response = await self._client.post(
                "/v2/notifications/email",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "email_address": address,
                    "template_id": platform["templates"]["annual_limit_warning"],
                    "personalisation": {
                        "service_name": name,
                        "percentage": str(warning["percentage"]),
                        "channel": CHANNEL_WORDS.get(warning["channel"], warning["channel"]),
                        "used": f"{used:,}",
                        "limit": f"{warning['limit']:,}",
                        "year_end": str(warning["year"] + 1),
                    },
                },
            )
            response.raise_for_status()
