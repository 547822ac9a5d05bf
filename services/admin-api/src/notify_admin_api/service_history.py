"""A service's configuration history (docs/audit-history.md): every change made through the admin
API, as one ``ServiceHistoryRecorded`` event on ``notify.service-history``, read back by the
admin-api's own consumer into ``service_history``.

How a record and its change stay together: the change commits first; the record is published
(acknowledged by Kafka) before the caller sees the answer; if Kafka cannot take it, the record is
written straight into the table instead. The consumer writes by the event's id, so a record that
arrives both ways, or twice, is stored once.

A record carries field names with their values before and after, except for secrets (API key
secrets, callback bearer tokens and signing secrets, passwords): of those it says only
``"changed"``. Nothing is pruned: the history outlives notification retention.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.tables.audit import service_history
from notify_common import topics
from notify_common.events import ServiceHistoryRecorded, new_event_id
from notify_common.kafka import EventProducer, Received

log = logging.getLogger(__name__)

PAGE_SIZE = 50
CHANGED = "changed"
# A field whose value is a secret (or holds one): its values are never recorded.
_SECRET = re.compile(r"(secret|password|token|bearer|^key$|api_key)", re.IGNORECASE)


def is_secret(field: str) -> bool:
    return _SECRET.search(field) is not None


def change(field: str, before: Any, after: Any) -> dict[str, Any]:
    """One changed field; a secret's values become ``"changed"`` (or None where there was none)."""
    if is_secret(field):
        return {
            "field": field,
            "before": None if before is None else CHANGED,
            "after": None if after is None else CHANGED,
        }
    return {"field": field, "before": _plain(before), "after": _plain(after)}


def changes_between(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str]
) -> list[dict[str, Any]]:
    """The fields among ``fields`` whose values differ between ``before`` and ``after``."""
    return [change(f, before.get(f), after.get(f)) for f in fields if before.get(f) != after.get(f)]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return (
            sorted(str(v) for v in value) if isinstance(value, set | frozenset) else [str(v) for v in value]
        )
    return str(value)


@dataclass(frozen=True)
class Actor:
    """Who made a change: a console user (``user``), a caller with a named admin token
    (``admin_token``), the ``notify-admin`` command line (``cli``), or the platform itself
    (``system``)."""

    type: str
    id: str


def record(
    service_id: str,
    kind: str,
    actor: Actor,
    *,
    subject_id: str | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
    correlation_id: str | None = None,
    event_id: str | None = None,
) -> ServiceHistoryRecorded:
    """One history entry; ``event_id`` names it when a retry must not store it twice."""
    return ServiceHistoryRecorded(
        event_id=event_id or new_event_id(),
        service_id=service_id,
        kind=kind,
        actor_type=actor.type,
        actor_id=actor.id,
        subject_id=subject_id,
        changes=json.dumps(list(changes), sort_keys=True),
        correlation_id=correlation_id,
    )


class ServiceHistory:
    """Records changes (``keep``), stores what the consumer reads (``handle``) and lists them."""

    def __init__(
        self, engine: AsyncEngine, producer: EventProducer | None, *, ack_within: float = 5.0
    ) -> None:
        """Without a producer (the command line), ``keep`` writes into the table directly."""
        self.engine = engine
        self._producer = producer
        self._ack_within = ack_within

    async def keep(self, events: Sequence[ServiceHistoryRecorded]) -> None:
        """Publish ``events``; if Kafka cannot take them, write them into the table directly."""
        if not events:
            return
        if self._producer is None:
            await self.store(events)
            return
        try:
            await self._producer.publish_many(
                [(topics.SERVICE_HISTORY, e) for e in events], ack_within=self._ack_within
            )
        except Exception as exc:  # any failure to publish falls back to the table
            log.warning(
                "service history written directly: not published", extra={"error": type(exc).__name__}
            )
            await self.store(events)

    async def handle(self, batch: Sequence[Received]) -> None:
        await self.store([r.event for r in batch if isinstance(r.event, ServiceHistoryRecorded)])

    async def store(self, events: Sequence[ServiceHistoryRecorded]) -> None:
        if not events:
            return
        rows = [
            {
                "id": e.event_id,
                "service_id": e.service_id,
                "occurred_at": e.occurred_at,
                "kind": e.kind,
                "actor_type": e.actor_type,
                "actor_id": e.actor_id,
                "subject_id": e.subject_id,
                "changes": json.loads(e.changes),
            }
            for e in events
        ]
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(service_history).values(rows).on_conflict_do_nothing(index_elements=["id"])
            )

    async def page(
        self,
        service_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
        user: str | None = None,
        page: int = 1,
    ) -> dict[str, Any]:
        """One page of a service's history, newest first, with the total matching."""
        where = [service_history.c.service_id == service_id]
        if since is not None:
            where.append(service_history.c.occurred_at >= since)
        if until is not None:
            where.append(service_history.c.occurred_at < until)
        if kind:
            where.append(service_history.c.kind.startswith(kind, autoescape=True))
        if user:
            where.append(service_history.c.actor_id == user)
        query = (
            select(service_history)
            .where(and_(*where))
            .order_by(service_history.c.occurred_at.desc(), service_history.c.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
            total = (await conn.execute(select(func.count()).where(and_(*where)))).scalar_one()
        return {
            "history": [
                {
                    "id": str(r["id"]),
                    "service_id": str(r["service_id"]),
                    "occurred_at": r["occurred_at"].isoformat(),
                    "kind": r["kind"],
                    "actor_type": r["actor_type"],
                    "actor_id": r["actor_id"],
                    "subject_id": r["subject_id"],
                    "changes": r["changes"],
                }
                for r in rows
            ],
            "page": page,
            "page_size": PAGE_SIZE,
            "total": total,
        }
