"""Claims in PostgreSQL: the durable record that lets a sender call a provider at most once per
notification however often Kafka redelivers the request (docs/adr/0003). Each sender keeps its
claims in a table of its own (``sms_send_claims``, ``email_send_claims``, ``letter_send_claims``,
each sender's ``tables`` module), which it hands to its ``ClaimStore``.

A batch of requests is claimed in one statement. A claim is one of:

* ``acquired``: ours to send, until ``lease_s`` from now. ``provider`` is the one to use: the one
  proposed, or the one an earlier attempt used if that attempt's outcome is unknown (it timed out,
  or the process died or lost its database between the call and the settle). Such a claim is
  ``in_doubt``: the provider may already have the message, so it must not be sent blindly
  (send_recovery.py decides, and the settle records what it decided in ``recovery``);
* ``busy``: another attempt holds an unexpired lease; look again in ``retry_in_s``;
* ``sent`` or ``failed``: decided earlier; announce that decision again (its event may have been
  lost with the process that made it) and call no provider.

Outcomes are written back by :class:`Settler`, which groups the writes of concurrent sends into
one statement at a time (a group commit), so no send waits on a round trip of its own. A write
that fails because the database is unavailable is made again until it lands: the provider call
has been made, and a lost settle would leave the claim in doubt.

While a batch is handled its holder renews its leases (``ClaimStore.holding``), and before each
provider call checks it can still vouch for the lease (``Hold.secure``): a process too starved
to renew in time does not call, since another attempt may be taking the claim over.
"""

# The claims table's name is the only text put into a statement, and it comes from a Table object.
# ruff: noqa: S608
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import orjson
import psycopg
from psycopg.rows import dict_row
from sqlalchemy import Table
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import tracing
from notify_common.errors import RetryableError

if TYPE_CHECKING:
    from notify_common.kafka import Received
    from notify_common.send_retries import Rescheduler, Retry

log = logging.getLogger(__name__)
ClaimState = Literal["acquired", "busy", "sent", "failed"]


def statements(claims: str) -> tuple[str, str, str]:
    """The claim, settle and renew statements on the claims table named ``claims``, in psycopg's
    parameter style: on this hot path SQLAlchemy's statement handling cost more than the driver's
    (the engine still provides the pool and the autocommit setting)."""
    claim = f"""
WITH input AS (
    SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:providers AS text[]), CAST(:traceparents AS text[]))
        AS t(id, provider, traceparent)
), claimed AS (
    INSERT INTO {claims} AS c (notification_id, channel, provider, claimed_at, attempts, traceparent)
    SELECT id, :channel, provider, now(), 1, traceparent FROM input
    ON CONFLICT (notification_id) DO UPDATE
        SET attempts = c.attempts + 1, claimed_at = now(), provider = COALESCE(c.provider, EXCLUDED.provider),
            traceparent = COALESCE(c.traceparent, EXCLUDED.traceparent)
        WHERE c.outcome IS NULL AND c.claimed_at < now() - make_interval(secs => :lease)
    RETURNING c.notification_id, c.provider, c.attempts
)
SELECT CAST(i.id AS text) AS notification_id, cl.notification_id IS NOT NULL AS acquired, cl.attempts,
    COALESCE(cl.provider, s.provider) AS provider, s.outcome, s.provider_reference, s.sent_at,
    s.failure_kind, s.failure_reason,
    EXTRACT(EPOCH FROM s.claimed_at + make_interval(secs => :lease) - now()) AS retry_in,
    -- ``s`` is the row as it was before this statement: taken over from a lease that ran out
    -- unsettled, or released after a timeout with its provider kept.
    cl.notification_id IS NOT NULL AND s.notification_id IS NOT NULL
        AND (s.claimed_at > TIMESTAMPTZ 'epoch' OR s.provider IS NOT NULL) AS in_doubt
FROM input i
LEFT JOIN claimed cl ON cl.notification_id = i.id
LEFT JOIN {claims} s ON s.notification_id = i.id
"""

    # Writes back what happened; only to claims still undecided, so a late writer whose lease expired
    # cannot undo the outcome recorded by the attempt that took over. An undecided outcome without a
    # provider (refused, or not reached) releases the lease at once so the retry need not wait for it.
    # One with a provider (the call timed out) stays in doubt and keeps a fresh lease: the provider may
    # still be working through the request, and asking it before a lease has passed could hear "never
    # seen" about a message it is about to take.
    settle = f"""
UPDATE {claims} AS c SET
    outcome = v.outcome, provider = v.provider, provider_reference = v.reference, sent_at = v.sent_at,
    failure_kind = v.failure_kind, failure_reason = v.failure_reason,
    recovery = COALESCE(v.recovery, c.recovery),
    claimed_at = CASE
        WHEN v.outcome IS NOT NULL THEN c.claimed_at
        WHEN v.provider IS NULL THEN TIMESTAMPTZ 'epoch'
        ELSE now()
    END
FROM json_to_recordset(CAST(:settlements AS json)) AS v(notification_id uuid, outcome text,
    provider text, reference text, sent_at timestamptz, failure_kind text, failure_reason text,
    recovery text)
WHERE c.notification_id = v.notification_id AND c.outcome IS NULL
"""

    # Extends the leases of claims still held by the attempt that acquired them (same ``attempts``,
    # undecided, not released), so a batch that takes longer than a lease is not taken over while its
    # holder is alive.
    renew = f"""
UPDATE {claims} AS c SET claimed_at = now()
FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS integer[])) AS v(id, attempts)
WHERE c.notification_id = v.id AND c.attempts = v.attempts AND c.outcome IS NULL
    AND c.claimed_at > TIMESTAMPTZ 'epoch'
"""
    claim, settle, renew = (re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql) for sql in (claim, settle, renew))
    return claim, settle, renew


async def _psycopg(conn: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under ``conn`` (the platform's engines all use psycopg 3)."""
    driver = (await conn.get_raw_connection()).driver_connection
    if not isinstance(driver, psycopg.AsyncConnection):
        raise TypeError(f"claims need a psycopg engine, not {type(driver).__name__}")
    return driver


@dataclass(frozen=True)
class Claim:
    notification_id: str
    state: ClaimState
    provider: str | None = None
    reference: str | None = None
    sent_at: datetime | None = None
    failure_kind: str | None = None
    failure_reason: str | None = None
    retry_in_s: float = 0.0
    # Acquired from an earlier attempt whose provider call may have reached the provider.
    in_doubt: bool = False
    attempts: int = 0  # of an acquired claim: which attempt holds it
    # Of an acquired claim: until when (time.monotonic()) its lease is surely still ours, counted
    # from before the claim statement was sent.
    held_until: float = 0.0


@dataclass(frozen=True)
class Settlement:
    """What became of an acquired claim. ``outcome`` None releases it for a retry; ``provider``
    stays set only when the retry must go to the same provider."""

    notification_id: str
    outcome: Literal["sent", "failed"] | None
    provider: str | None = None
    reference: str | None = None
    sent_at: datetime | None = None
    failure_kind: str | None = None
    failure_reason: str | None = None
    # What recovering an in-doubt claim decided (send_recovery.Verdict), kept on the claim.
    recovery: str | None = None


T = TypeVar("T")
_UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError, OSError)


async def _translated(work: Callable[[], Awaitable[T]]) -> T:
    try:
        return await work()
    except (
        OperationalError,
        InterfaceError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
        OSError,
    ) as exc:
        raise RetryableError(f"claims database unavailable: {type(exc).__name__}") from exc


class ClaimStore:
    def __init__(self, engine: AsyncEngine, claims: Table, lease_s: float = 30.0) -> None:
        """``claims`` is the sender's own claims table; its channel is the first part of its name."""
        self._engine, self._channel, self._lease_s = engine, claims.name.split("_", 1)[0], lease_s
        self._claim_sql, self._settle_sql, self._renew_sql = statements(claims.name)
        # Each write is one statement, atomic on its own: autocommit spares a BEGIN and a COMMIT
        # round trip per statement (same pool as ``engine``).
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection of the engine's pool, in autocommit, straight at the driver. One whose
        statement failed for want of the server is never given back: with an engine that does not
        try connections before handing them out (``create_engine(pre_ping=False)``, a round trip per
        statement saved), a connection the server dropped is found this way, and the statement is
        made again on a fresh one when its caller retries."""
        async with self._autocommit.connect() as conn:
            try:
                yield await _psycopg(conn)
            except _UNAVAILABLE:
                with contextlib.suppress(Exception):
                    await conn.invalidate()
                raise

    async def claim(self, proposals: Mapping[str, str | None]) -> dict[str, Claim]:
        """Claim every notification id of ``proposals`` (id → proposed provider) at once."""
        if not proposals:
            return {}
        ids = sorted(proposals)  # one lock order for every instance
        params = {
            "ids": ids,
            "providers": [proposals[i] for i in ids],
            "traceparents": [tracing.traceparent_of(i) for i in ids],
            "channel": self._channel,
            "lease": self._lease_s,
        }

        async def run() -> dict[str, Claim]:
            async with self._connection() as conn:
                cursor = conn.cursor(row_factory=dict_row)
                started = time.monotonic()
                await cursor.execute(self._claim_sql, params)
                rows = await cursor.fetchall()
            return {str(r["notification_id"]): _claim(r, started + self._lease_s) for r in rows}

        return await _translated(run)

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        if not settlements:
            return
        # One JSON parameter, each settlement an object by field: the driver sends one string
        # instead of adapting every element of eight arrays (with the claim, about a quarter less
        # of the sender's CPU: bench/send/claims.py).
        params = {"settlements": orjson.dumps(list(settlements)).decode()}

        async def run() -> None:
            async with self._connection() as conn:
                await conn.execute(self._settle_sql, params)

        await _translated(run)

    async def renew(self, claims: Sequence[Claim]) -> None:
        """Extend the leases of ``claims`` (acquired ones) that are still ours and undecided."""
        held = [c for c in claims if c.state == "acquired"]
        if not held:
            return
        params = {"ids": [c.notification_id for c in held], "attempts": [c.attempts for c in held]}

        async def run() -> None:
            async with self._connection() as conn:
                await conn.execute(self._renew_sql, params)

        await _translated(run)

    @asynccontextmanager
    async def holding(self, claims: Sequence[Claim]) -> AsyncIterator[Hold]:
        """While the block runs, renew the leases of ``claims`` every third of a lease: a holder
        that is alive keeps its claims however long its batch takes (slots, a slow provider, a
        loaded machine); only a dead one's run out. The ``Hold`` says whether a lease is surely
        still ours, for a process too starved to renew in time."""
        hold = Hold(claims, self._lease_s)

        async def renew_forever() -> None:
            while True:
                await asyncio.sleep(self._lease_s / 3)
                started = time.monotonic()
                try:
                    await self.renew(claims)
                except RetryableError as exc:
                    log.warning("claim leases not renewed", extra={"claims": len(claims), "error": str(exc)})
                else:
                    hold.renewed(started)

        if not any(c.state == "acquired" for c in claims):
            yield hold
            return
        renewing = asyncio.create_task(renew_forever())
        try:
            yield hold
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing


class Hold:
    """The leases of one batch's acquired claims as this process can vouch for them. Before a
    provider call a sender checks ``secure``: a lease that may run out during the call (renewals
    late, the database slow) could be taken over by another attempt, which would find the provider
    without the message and send it too."""

    def __init__(self, claims: Sequence[Claim], lease_s: float) -> None:
        self._lease_s = lease_s
        self._until = {c.notification_id: c.held_until for c in claims if c.state == "acquired"}

    def renewed(self, started: float) -> None:
        until = started + self._lease_s
        for nid in self._until:
            self._until[nid] = max(self._until[nid], until)

    def remaining_s(self, notification_id: str) -> float:
        return self._until.get(notification_id, 0.0) - time.monotonic()

    def secure(self, notification_id: str) -> bool:
        """At least half a lease left: time for a provider call to be made before it can end."""
        return self.remaining_s(notification_id) >= self._lease_s / 2


def _claim(row: Mapping[str, Any], held_until: float) -> Claim:
    nid = str(row["notification_id"])
    provider = row["provider"] if isinstance(row["provider"], str) else None
    if row["acquired"]:
        return Claim(
            nid,
            "acquired",
            provider=provider,
            in_doubt=bool(row["in_doubt"]),
            attempts=int(row["attempts"]),
            held_until=held_until,
        )
    if row["outcome"] in ("sent", "failed"):
        sent_at = row["sent_at"] if isinstance(row["sent_at"], datetime) else None
        return Claim(
            nid,
            "sent" if row["outcome"] == "sent" else "failed",
            provider=provider,
            reference=str(row["provider_reference"]) if row["provider_reference"] is not None else None,
            sent_at=sent_at,
            failure_kind=str(row["failure_kind"]) if row["failure_kind"] is not None else None,
            failure_reason=str(row["failure_reason"]) if row["failure_reason"] is not None else None,
        )
    retry_in = row["retry_in"]
    return Claim(nid, "busy", provider=provider, retry_in_s=max(0.0, float(str(retry_in or 0))))


class Settler:
    """Group commit for settlements: each caller waits until its own settlement is durable, and
    whatever arrives while one write is in progress goes in the next.

    With ``linger_s`` a write first waits that long (or until ``max_rows`` are queued) for more
    settlements to join it: fewer, larger statements for a little more latency before each
    caller's settlement is durable (the provider call has already been made by then)."""

    def __init__(
        self,
        store: ClaimStore,
        *,
        linger_s: float = 0.0,
        max_rows: int = 1_000,
        retry_delay_s: float = 0.1,
        max_retry_delay_s: float = 2.0,
    ) -> None:
        self._store = store
        self._linger_s, self._max_rows = linger_s, max_rows
        self._retry_delay_s, self._max_retry_delay_s = retry_delay_s, max_retry_delay_s
        self._queue: list[tuple[Settlement, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._full: asyncio.Event | None = None

    async def settle(self, settlement: Settlement) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((settlement, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        elif self._full is not None and len(self._queue) >= self._max_rows:
            self._full.set()
        await future

    async def _linger(self) -> None:
        if self._linger_s <= 0 or len(self._queue) >= self._max_rows:
            return
        self._full = asyncio.Event()
        try:
            await asyncio.wait_for(self._full.wait(), timeout=self._linger_s)
        except TimeoutError:
            pass
        finally:
            self._full = None

    async def _write(self) -> None:
        while self._queue:
            await self._linger()
            items, self._queue = self._queue, []
            await self._land(items)

    async def _land(self, items: list[tuple[Settlement, asyncio.Future[None]]]) -> None:
        """Write ``items`` until the database takes them. While it is unavailable the write is
        made again (with whatever has queued meanwhile), never given up: giving up would leave
        claims whose provider call was made looking undecided."""
        delay = self._retry_delay_s
        while True:
            try:
                await self._store.settle([s for s, _ in items])
            except RetryableError as exc:
                log.warning(
                    "settlements not written, trying again",
                    extra={"settlements": len(items), "retry_in_s": delay, "error": str(exc)},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay_s)
                items, self._queue = items + self._queue, []
                continue
            except Exception as exc:
                for _, future in items:
                    if not future.done():
                        future.set_exception(exc)
                return
            for _, future in items:
                if not future.done():
                    future.set_result(None)
            return


def unsure(rescheduler: Rescheduler, item: Received, claim: Claim, hold: Hold) -> Retry:
    """Not calling the provider for a claim whose lease may run out first (module docstring): the
    request comes back when the lease has ended, and the attempt that takes the claim over then
    finds out whether anything reached the provider. No attempt is spent."""
    remaining = hold.remaining_s(claim.notification_id)
    log.warning(
        "claim lease too close to its end to call the provider",
        extra={"notification_id": claim.notification_id, "remaining_s": round(remaining, 3)},
    )
    return rescheduler.while_busy(item, remaining)
