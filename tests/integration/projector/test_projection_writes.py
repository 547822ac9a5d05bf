"""What the projection writes: a notification the batch brings for the first time is inserted as
one whole row (no empty row updated at once), one another projector inserts meanwhile is merged
with it, counts included, rather than lost, and the rows sent as JSON arrive unchanged."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import statuses
from notify_common.events import LetterRequested
from notify_projector.projection import apply
from tests.integration.projector.test_projection import T0, lifecycle, row


async def notification_writes(conn: AsyncConnection) -> tuple[int, int]:
    """Rows inserted and updated in ``notifications`` by the current transaction so far."""
    found = (
        await conn.execute(
            text(
                "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables "
                "WHERE relid = 'notifications'::regclass"
            )
        )
    ).one()
    return int(found[0]), int(found[1])


async def status_counts(engine: AsyncEngine, service_id: str) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT notification_status, sum(notification_count) FROM ft_notification_status "
                "WHERE service_id = :s GROUP BY 1"
            ),
            {"s": service_id},
        )
        return {status: int(count) for status, count in rows.all() if count}


async def test_a_batch_of_new_notifications_inserts_each_row_once_and_updates_none(
    engine: AsyncEngine,
) -> None:
    sid, first_id, second_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    first, second = lifecycle(first_id, sid), lifecycle(second_id, sid)
    async with engine.begin() as conn:
        await apply(conn, [first[0], first[1], second[1]])  # one requested and sent, one only sent
        assert await notification_writes(conn) == (2, 0)
        await apply(conn, [first[2], second[0]])  # both rows exist now: updated in place
        assert await notification_writes(conn) == (2, 2)
    assert (await row(engine, first_id))["status"] == statuses.DELIVERED
    projected = await row(engine, second_id)
    assert (projected["status"], projected["recipient"]) == (statuses.SENDING, "447700900123")
    assert await status_counts(engine, sid) == {statuses.DELIVERED: 1, statuses.SENDING: 1}


async def test_a_row_another_projector_inserts_meanwhile_is_merged_and_counted_once(
    engine: AsyncEngine,
) -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    requested, sent, delivered = lifecycle(nid, sid)
    async with engine.connect() as first, engine.connect() as second:
        await first.begin()
        await apply(first, [requested, sent])  # inserted, not yet committed
        await second.begin()
        pid = (await second.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        # The second finds no row to lock, so it inserts: that waits for the first transaction.
        racing = asyncio.create_task(apply(second, [delivered]))
        await wait_until_blocked(engine, pid)
        await first.commit()
        await racing
        assert await notification_writes(second) == (0, 1)
        await second.commit()
    projected = await row(engine, nid)
    assert (projected["status"], projected["sent_by"], projected["recipient"]) == (
        statuses.DELIVERED,
        "mmg",
        "447700900123",
    )
    assert await status_counts(engine, sid) == {statuses.DELIVERED: 1}


async def wait_until_blocked(engine: AsyncEngine, pid: int) -> None:
    async with engine.connect() as watcher:
        for _ in range(500):
            waiting = await watcher.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
            )
            if waiting.scalar_one_or_none() == "Lock":
                return
            await asyncio.sleep(0.02)
    raise AssertionError("the second projector's insert never waited for the first")


async def test_awkward_text_and_times_reach_the_row_exactly_as_the_events_carry_them(
    engine: AsyncEngine,
) -> None:
    # The rows travel to PostgreSQL as one JSON text: quotes, backslashes, control characters,
    # characters beyond the BMP, offsets other than UTC and microseconds must all arrive unchanged.
    sms_id, letter_id, sid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    body = 'Say "hi" \\ to Zoë 🎉\nline two\tand a tab; {not: json}'
    created = datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    requested, sent, _ = lifecycle(sms_id, sid)
    requested = dataclasses.replace(
        requested, body=body, client_reference='it\'s \\\\ "quoted"', created_at=created, language="cy"
    )
    lines = ('Flat "A", 1 O\'Neill Road', "Caerdydd \\ Cardiff", "CF10 1AA")
    letter = LetterRequested(
        notification_id=letter_id, service_id=sid, occurred_at=T0, template_id=str(uuid.uuid4()),
        template_version=1, key_type="normal", address_lines=lines, postage="second",
        subject="Ynglŷn â'ch cais", body="Annwyl \"chi\"", created_at=created,
    )  # fmt: skip
    async with engine.begin() as conn:
        await apply(conn, [requested, sent, letter])
    sms = await row(engine, sms_id)
    assert (sms["body"], sms["client_reference"], sms["language"]) == (body, requested.client_reference, "cy")
    assert sms["created_at"] == created  # microseconds included
    assert (sms["sent_at"], sms["status"]) == (sent.sent_at, statuses.SENDING)
    projected = await row(engine, letter_id)
    assert (projected["address"], projected["subject"], projected["body"]) == (
        list(lines),
        letter.subject,
        letter.body,
    )
