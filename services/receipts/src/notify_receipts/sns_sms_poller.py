"""Delivery receipts for text messages sent through SNS: polls SNS's delivery-status logs in
CloudWatch Logs and publishes the lifecycle events they mean (docs/senders.md, "Receipts for SNS").

Every ``interval`` seconds, one replica (the holder of a PostgreSQL advisory lock) reads the
success and failure log groups with ``filter_log_events`` over a window reaching ``lookback`` back
past the previous successful poll, resolves the records' SNS message ids to notifications through
this service's record of send events (``sent.py``) in batches, and publishes the events, with the
notifications' services and details, in batches. A record whose send event is not known yet is
retried on later polls, then given up. CloudWatch, database
or Kafka errors back off and widen the next window; nothing is marked handled before Kafka
acknowledged it. Log records hold phone numbers: only message ids, counts and error codes are logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import metrics, topics
from notify_common.errors import RetryableError
from notify_common.events import Event
from notify_receipts.domain import Known, enriched
from notify_receipts.settings import ReceiptsSettings
from notify_receipts.sns_sms_logs import PROVIDER, PollWindows, SnsSmsReceipt, parse_record, receipt_to_event

log = logging.getLogger(__name__)
LOCK_KEY = 0x534E5352  # "SNSR": one poller across the receipts replicas
RECEIPTS = Counter("notify_receipts_sns_sms_total", "SNS SMS receipts published", ["outcome"])
UNRESOLVED = Counter(
    "notify_receipts_sns_sms_unresolved_total", "SNS SMS receipts given up on: reference never projected"
)
POLL_ERRORS = Counter("notify_receipts_sns_sms_poll_errors_total", "SNS SMS receipt polls that failed")


class ReferenceLookup(Protocol):
    async def references(self, references: list[str], provider: str) -> dict[str, Known]: ...


class Publisher(Protocol):
    async def publish_many(self, items: Sequence[tuple[str, Event]]) -> None: ...


class Leadership(Protocol):
    async def acquire(self) -> bool:
        """True while this replica is the one that polls."""
        ...


class AdvisoryLeader:
    """Leadership as a session advisory lock, held on a connection of its own for as long as it lives."""

    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self._engine, self._key = engine, key
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        try:
            if self._conn is not None:
                await self._conn.execute(text("SELECT 1"))
                await self._conn.commit()
                return True
            conn = await self._engine.connect()
            try:
                got = (
                    await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
                ).scalar_one()
                await conn.commit()
            except BaseException:
                await conn.close()
                raise
            if got:
                self._conn = conn
            else:
                await conn.close()
            return bool(got)
        except SQLAlchemyError as exc:
            await self.release()
            raise RetryableError("database unavailable for the poller's lock") from exc

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            with contextlib.suppress(SQLAlchemyError):
                await conn.close()


def _error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "") or "unknown")
    return type(exc).__name__


class SnsSmsReceiptPoller:
    def __init__(
        self,
        logs: Any,  # a boto3 CloudWatch Logs client (or a fake with ``filter_log_events``)
        log_groups: Sequence[str],
        lookups: ReferenceLookup,
        producer: Publisher,
        leader: Leadership,
        *,
        interval_s: float = 60.0,
        lookback_s: float = 180.0,
        initial_lookback_s: float = 900.0,
        resolve_max_age_s: float = 600.0,
        batch_size: int = 1_000,
        max_backoff_s: float = 600.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logs, self._groups, self._lookups = logs, list(log_groups), lookups
        self._producer, self._leader = producer, leader
        self._interval, self._max_backoff = interval_s, max_backoff_s
        self._max_age, self._batch = resolve_max_age_s, batch_size
        self._clock, self._monotonic = clock, monotonic
        self.windows = PollWindows(int(lookback_s * 1000), int(initial_lookback_s * 1000))
        self._pending: dict[str, tuple[SnsSmsReceipt, float]] = {}  # message id -> (receipt, first seen)
        self._missing_groups: set[str] = set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def delay(self, failures: int) -> float:
        """Seconds until the next poll: the interval, doubling per consecutive failure, capped."""
        return self._interval if failures == 0 else min(self._interval * 2**failures, self._max_backoff)

    async def run(self) -> None:
        failures, leading = 0, False
        while True:
            try:
                now_leading = await self._leader.acquire()
                if now_leading and not leading:
                    self.windows.reset()  # another replica may have polled meanwhile
                    self._pending.clear()
                    log.info("polling SNS SMS delivery-status logs", extra={"log_groups": self._groups})
                leading = now_leading
                if leading:
                    await self.poll_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                POLL_ERRORS.inc()
                cause = exc.__cause__ if isinstance(exc, RetryableError) and exc.__cause__ else exc
                log.warning(
                    "SNS SMS receipts poll failed, backing off",
                    extra={
                        "error": _error_code(cause),
                        "failures": failures,
                        "retry_in_s": self.delay(failures),
                    },
                )
            await asyncio.sleep(self.delay(failures))

    async def poll_once(self) -> int:
        """Read one window, publish what it resolves; the number of events published."""
        start, end = self.windows.next_range(int(self._clock() * 1000))
        read = await asyncio.to_thread(self._read, start, end)
        seen_at = self._monotonic()
        for receipt in self.windows.unhandled(read):
            self._pending.setdefault(receipt.message_id, (receipt, seen_at))
        published = await self._publish_pending()
        self.windows.completed(end)
        return published

    def _read(self, start_ms: int, end_ms: int) -> list[SnsSmsReceipt]:
        receipts: list[SnsSmsReceipt] = []
        for group in self._groups:
            receipts.extend(self._read_group(group, start_ms, end_ms))
        return receipts

    def _read_group(self, group: str, start_ms: int, end_ms: int) -> list[SnsSmsReceipt]:
        out: list[SnsSmsReceipt] = []
        token: str | None = None
        malformed = 0
        while True:
            kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "endTime": end_ms}
            if token:
                kwargs["nextToken"] = token
            try:
                page = self._logs.filter_log_events(**kwargs)
            except ClientError as exc:
                if _error_code(exc) == "ResourceNotFoundException":
                    # SNS creates its log groups at the first delivery it logs.
                    if group not in self._missing_groups:
                        self._missing_groups.add(group)
                        log.info("SNS SMS log group does not exist yet", extra={"log_group": group})
                    return out
                raise RetryableError(f"cloudwatch logs: {_error_code(exc)}") from exc
            except BotoCoreError as exc:
                raise RetryableError(f"cloudwatch logs: {type(exc).__name__}") from exc
            self._missing_groups.discard(group)
            for event in page.get("events", []):
                try:
                    out.append(parse_record(str(event.get("message", "")), int(event.get("timestamp", 0))))
                except ValueError:
                    malformed += 1
            token = page.get("nextToken")
            if not token:
                break
        if malformed:
            log.warning(
                "SNS SMS log records not understood, skipped", extra={"log_group": group, "count": malformed}
            )
        return out

    async def _publish_pending(self) -> int:
        published = 0
        waiting = [receipt for receipt, _ in self._pending.values()]
        for i in range(0, len(waiting), self._batch):
            chunk = waiting[i : i + self._batch]
            found = await self._lookups.references([r.message_id for r in chunk], PROVIDER)
            resolved = [r for r in chunk if r.message_id in found]
            events = [_event(r, found[r.message_id]) for r in resolved]
            await self._producer.publish_many([(topics.NOTIFICATION_STATUS, event) for event in events])
            metrics.receipts(events)
            self._done(resolved)
            for r in resolved:
                RECEIPTS.labels(r.outcome).inc()
            published += len(resolved)
        now = self._monotonic()
        expired = [r for r, first in self._pending.values() if now - first > self._max_age]
        if expired:
            UNRESOLVED.inc(len(expired))
            log.warning(
                "SNS SMS receipts for messages we have no record of given up",
                extra={"count": len(expired), "provider_references": [r.message_id for r in expired[:20]]},
            )
            self._done(expired)
        if published:
            log.info("SNS SMS receipts published", extra={"count": published, "pending": len(self._pending)})
        return published

    def _done(self, receipts: list[SnsSmsReceipt]) -> None:
        self.windows.mark_handled(receipts)
        for r in receipts:
            self._pending.pop(r.message_id, None)


async def log_groups(settings: ReceiptsSettings, sts: Any) -> list[str]:
    """The configured log groups, or SNS's two for this region and account (asking STS for the
    account when it is not configured)."""
    account = settings.sns_receipts_account_id
    if not account and not settings.sns_receipts_log_groups.strip():
        try:
            identity = await asyncio.to_thread(sts.get_caller_identity)
        except (ClientError, BotoCoreError) as exc:
            raise RetryableError(f"sts: {_error_code(exc)}") from exc
        account = str(identity["Account"])
    return settings.sns_sms_log_groups(account or "")


async def run_from_settings(
    settings: ReceiptsSettings, engine: AsyncEngine, lookups: ReferenceLookup, producer: Publisher
) -> None:
    """The receipts service's background task: find the log groups (retrying), then poll for ever."""
    config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
    common: dict[str, Any] = {
        "region_name": settings.aws_region, "endpoint_url": settings.aws_endpoint_url, "config": config,
    }  # fmt: skip
    logs, sts = boto3.client("logs", **common), boto3.client("sts", **common)
    failures = 0
    while True:
        try:
            groups = await log_groups(settings, sts)
            break
        except RetryableError as exc:
            failures += 1
            log.warning(
                "SNS SMS log groups unknown, retrying", extra={"error": str(exc), "failures": failures}
            )
            await asyncio.sleep(min(settings.sns_receipts_interval_seconds * 2**failures, 600.0))
    leader = AdvisoryLeader(engine)
    poller = SnsSmsReceiptPoller(
        logs, groups, lookups, producer, leader,
        interval_s=settings.sns_receipts_interval_seconds,
        lookback_s=settings.sns_receipts_lookback_seconds,
        initial_lookback_s=settings.sns_receipts_initial_lookback_seconds,
        resolve_max_age_s=settings.sns_receipts_resolve_max_age_seconds,
        batch_size=settings.sns_receipts_batch_size,
        max_backoff_s=settings.sns_receipts_max_backoff_seconds,
    )  # fmt: skip
    try:
        await poller.run()
    finally:
        await leader.release()


def _event(receipt: SnsSmsReceipt, known: Known) -> Event:
    return enriched(receipt_to_event(receipt, known.notification_id, known.service_id), known)
