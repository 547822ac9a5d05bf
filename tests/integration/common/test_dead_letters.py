"""``notify-dead-letters`` against the real broker: it lists what a group dead-lettered, replays it
to the original topic (key, value and headers without the dead-letter metadata) only once
confirmed, remembers what it replayed, and changes nothing on --dry-run or --help."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer

from notify_common import codec, topics
from notify_common.dead_letters import main
from notify_common.errors import PermanentError
from notify_common.events import NotificationPending
from notify_common.kafka import BatchConsumer, EventProducer, Received, connection_options
from notify_common.settings import CommonSettings

GROUP = topics.GROUP_CALLBACKS
DLQ = topics.dead_letter_topic(GROUP)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


RawRecord = tuple[bytes | None, bytes | None, dict[str, str]]


async def read_raw(settings: CommonSettings, topic: str) -> list[RawRecord]:
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic, auto_offset_reset="earliest", **connection_options(settings)
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=2000)
        return [
            (r.key, r.value, {k: bytes(v).decode() for k, v in r.headers})
            for records in batches.values()
            for r in records
        ]
    finally:
        await consumer.stop()


async def dead_letter_two(settings: CommonSettings, producer: EventProducer) -> NotificationPending:
    """One record refused for good by the handler and one undecodable, dead-lettered by the real
    consumer."""
    refused = NotificationPending(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg", detail="refused"
    )
    await producer.publish(topics.NOTIFICATION_STATUS, refused)
    await producer.send_raw(topics.NOTIFICATION_STATUS, b"not avro at all", b"k", [])
    calls = 0

    async def handle(batch: Sequence[Received]) -> None:
        nonlocal calls
        calls += 1
        raise PermanentError("cannot ever work")

    consumer = BatchConsumer(
        settings, group=GROUP, topics=[topics.NOTIFICATION_STATUS], handler=handle, producer=producer,
        poll_timeout_ms=100,
    )  # fmt: skip
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(30):
            while len(await read_raw(settings, DLQ)) < 2:
                await asyncio.sleep(0.2)
    finally:
        consumer.request_stop()
        await task
    return refused


def run(settings: CommonSettings, argv: list[str], answers: io.StringIO | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = main(argv, settings=settings, out=out, answers=answers or io.StringIO(""))
    return code, out.getvalue()


async def test_dead_letters_are_listed_and_replayed_to_their_original_topic_once_confirmed(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    refused = await dead_letter_two(kafka, producer)
    original_before = await read_raw(kafka, topics.NOTIFICATION_STATUS)
    assert len(original_before) == 2

    code, listed = await asyncio.to_thread(run, kafka, ["list", "--topic", DLQ])
    assert code == 0
    assert f"{DLQ}: 2 not replayed of 2 held" in listed
    assert "1  notify.notification.status  NotificationPending  PermanentError" in listed
    assert "1  notify.notification.status  ?  UnknownSchemaError" in listed
    code, shown = await asyncio.to_thread(run, kafka, ["list", "--topic", DLQ, "--show"])
    assert shown.count("offset ") == 2
    assert "not avro" not in shown  # values are never printed

    code, dry = await asyncio.to_thread(run, kafka, ["replay", "--topic", DLQ, "--dry-run"])
    assert code == 0
    assert "2 record(s) to replay" in dry
    code, _ = await asyncio.to_thread(run, kafka, ["replay", "--topic", DLQ], io.StringIO("y\n"))
    assert code == 1  # no terminal to ask, no --yes
    code, _ = await asyncio.to_thread(run, kafka, ["replay", "--topic", DLQ], Terminal("n\n"))
    assert code == 1
    assert len(await read_raw(kafka, topics.NOTIFICATION_STATUS)) == 2

    code, replayed = await asyncio.to_thread(run, kafka, ["replay", "--topic", DLQ], Terminal("y\n"))
    assert code == 0
    assert "replayed 2/2" in replayed
    after = await read_raw(kafka, topics.NOTIFICATION_STATUS)
    assert len(after) == 4
    assert sorted((k or b"", v or b"") for k, v, _ in after) == sorted(
        2 * [(k or b"", v or b"") for k, v, _ in original_before]
    )
    for _, _, headers in after:
        assert not {"retry-attempt", "error", "original-topic", "retry-not-before-ms"} & headers.keys()
    replayed_event = [codec.decode(v or b"") for k, v, _ in after if k != b"k"]
    assert replayed_event == [refused, refused]
    assert [h["event-type"] for k, _, h in after if k != b"k"] == ["NotificationPending"] * 2

    code, listed = await asyncio.to_thread(run, kafka, ["list", "--topic", DLQ])
    assert f"{DLQ}: 0 not replayed of 2 held" in listed
    code, nothing = await asyncio.to_thread(run, kafka, ["replay", "--topic", DLQ, "--yes"])
    assert code == 0
    assert "nothing to replay" in nothing
    assert len(await read_raw(kafka, topics.NOTIFICATION_STATUS)) == 4


async def test_a_replay_via_the_retry_topic_reaches_only_the_group_that_gave_up(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    await dead_letter_two(kafka, producer)
    code, _ = await asyncio.to_thread(run, kafka, ["replay", "--topic", DLQ, "--via-retry-topic", "--yes"])
    assert code == 0
    assert len(await read_raw(kafka, topics.NOTIFICATION_STATUS)) == 2
    retried = [r for r in await read_raw(kafka, topics.retry_topic(GROUP)) if "retry-attempt" not in r[2]]
    assert len(retried) == 2
    assert {h["original-topic"] for _, _, h in retried} == {topics.NOTIFICATION_STATUS}


@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["replay", "--help"]])
def test_help_prints_the_usage_and_touches_nothing(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = CommonSettings(kafka_bootstrap_servers="127.0.0.1:9")
    with pytest.raises(SystemExit) as exited:
        main(argv, settings=unreachable)
    assert exited.value.code == 0
    assert "usage: notify-dead-letters" in capsys.readouterr().out
