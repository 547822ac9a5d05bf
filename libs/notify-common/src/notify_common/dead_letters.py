"""``notify-dead-letters``: see what a consumer group gave up on, and replay it once the cause is
fixed (docs/reliability.md, "Dead letters").

``list`` counts the records of each dead-letter topic not replayed yet, by original topic and
error (``--show`` adds one line per record: offset, original topic, event type, error, attempt,
key; never the value, which may hold personal data). ``replay`` re-publishes them, with the same
key, value and headers minus the retry and dead-letter metadata, to the topic they were first read
from (or, with ``--via-retry-topic``, to the group's retry topic, so that only the group that gave
up reads them again), after asking (or with ``--yes``). Which records are replayed is remembered
as the offsets of the consumer group ``dead-letters-replay.<group>``, committed after the broker
has acknowledged each batch: a replay stopped halfway resumes where it stopped, and a record is
replayed once. ``--dry-run`` says what would be replayed and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from notify_common import topics
from notify_common.confirm import confirm
from notify_common.kafka import (
    H_ATTEMPT,
    H_ERROR,
    H_EVENT_TYPE,
    H_NOT_BEFORE,
    H_ORIGINAL_TOPIC,
    EventProducer,
    TopicNames,
    connection_options,
)
from notify_common.settings import CommonSettings

# What the retry and dead-letter paths add to a record (``send_retries`` adds the throttled count).
DEAD_LETTER_HEADERS = frozenset({H_ATTEMPT, H_ERROR, H_NOT_BEFORE, H_ORIGINAL_TOPIC, "throttled-count"})
REPLAY_GROUP_PREFIX = "dead-letters-replay."
DEAD_LETTER_TOPICS = {topics.dead_letter_topic(g): g for g in topics.CONSUMER_GROUPS}
_PROGRESS_EVERY = 100
_SEND_BATCH = 500


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered record and where a replay sends it."""

    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    original_topic: str | None
    error: str
    attempt: str
    event_type: str

    @property
    def replay_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v) for k, v in self.headers if k not in DEAD_LETTER_HEADERS]


def dead_letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    headers = tuple((k, bytes(v)) for k, v in record.headers or ())
    named = {k: v.decode(errors="replace") for k, v in headers}
    return DeadLetter(
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=headers,
        original_topic=named.get(H_ORIGINAL_TOPIC),
        error=named.get(H_ERROR, "?"),
        attempt=named.get(H_ATTEMPT, "-"),
        event_type=named.get(H_EVENT_TYPE, "?"),
    )


class DeadLetterTopic:
    """The not-yet-replayed records of one group's dead-letter topic."""

    def __init__(self, settings: CommonSettings, topic: str) -> None:
        self.topic, self.group = topic, DEAD_LETTER_TOPICS[topic]
        self.names = TopicNames(settings.kafka_topic_prefix)
        self._connection = connection_options(settings)
        self._consumer = AIOKafkaConsumer(
            group_id=settings.kafka_topic_prefix + REPLAY_GROUP_PREFIX + self.group,
            client_id="notify-dead-letters",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            **connection_options(settings),
        )

    async def __aenter__(self) -> DeadLetterTopic:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def pending(self, limit: int | None = None) -> tuple[int, list[tuple[TopicPartition, DeadLetter]]]:
        """How many records the topic holds in all, and those not replayed yet (oldest first)."""
        physical = self.names.physical(self.topic)
        tps = [TopicPartition(physical, p) for p in await self._partitions(physical)]
        if not tps:
            return 0, []
        self._consumer.assign(tps)
        starts = await self._consumer.beginning_offsets(tps)
        ends = await self._consumer.end_offsets(tps)
        total = sum(ends[tp] - starts[tp] for tp in tps)
        out: list[tuple[TopicPartition, DeadLetter]] = []
        for tp in tps:
            committed = await self._consumer.committed(tp)
            position = max(committed or 0, starts[tp])
            if position >= ends[tp]:
                continue
            self._consumer.seek(tp, position)
            while position < ends[tp] and (limit is None or len(out) < limit):
                batch = await self._consumer.getmany(tp, timeout_ms=5000)
                records = batch.get(tp, [])
                if not records:
                    break
                for record in records:
                    if record.offset >= ends[tp] or (limit is not None and len(out) >= limit):
                        break
                    out.append((tp, dead_letter(record)))
                    position = record.offset + 1
        return total, out

    async def _partitions(self, physical: str) -> list[int]:
        admin = AIOKafkaAdminClient(client_id="notify-dead-letters", **self._connection)
        await admin.start()
        try:
            described = await admin.describe_topics([physical])
        finally:
            await admin.close()
        return sorted(p["partition"] for d in described if d["error_code"] == 0 for p in d["partitions"])

    async def mark_replayed(self, tp: TopicPartition, next_offset: int) -> None:
        await self._consumer.commit({tp: next_offset})


def _summary(letters: Sequence[DeadLetter]) -> list[str]:
    counts = collections.Counter((d.original_topic or "(unknown)", d.event_type, d.error) for d in letters)
    return [f"  {n:>7}  {topic}  {event}  {error}" for (topic, event, error), n in sorted(counts.items())]


def _line(d: DeadLetter) -> str:
    key = d.key.decode(errors="replace") if d.key is not None else "-"
    return (
        f"  offset {d.offset}  {d.original_topic or '(unknown)'}  {d.event_type}  error={d.error}"
        f"  attempt={d.attempt}  key={key}"
    )


async def list_dead_letters(
    settings: CommonSettings, chosen: Sequence[str], *, show: bool, limit: int | None, out: TextIO
) -> int:
    for topic in chosen:
        async with DeadLetterTopic(settings, topic) as dlq:
            total, pending = await dlq.pending(limit)
        letters = [d for _, d in pending]
        print(f"{topic}: {len(letters)} not replayed of {total} held", file=out)
        for line in _line_per_record(letters) if show else _summary(letters):
            print(line, file=out)
    return 0


def _line_per_record(letters: Sequence[DeadLetter]) -> list[str]:
    return [_line(d) for d in letters]


def _destination(d: DeadLetter, group: str, *, via_retry: bool, fallback: str | None) -> str | None:
    if via_retry:
        return topics.retry_topic(group)
    return d.original_topic or fallback


def _replay_headers(d: DeadLetter, *, via_retry: bool, fallback: str | None) -> list[tuple[str, bytes]]:
    headers = d.replay_headers
    if via_retry:
        # The retry topic's consumer hands the record over as read from its original topic, as a
        # first attempt due now.
        original = d.original_topic or fallback
        if original is not None:
            headers.append((H_ORIGINAL_TOPIC, original.encode()))
    return headers


async def replay_dead_letters(
    settings: CommonSettings,
    topic: str,
    *,
    dry_run: bool,
    assume_yes: bool,
    via_retry: bool,
    fallback: str | None,
    limit: int | None,
    out: TextIO,
    answers: TextIO | None = None,
) -> int:
    async with DeadLetterTopic(settings, topic) as dlq:
        _, pending = await dlq.pending(limit)
        # Replay in order up to the first record with nowhere to go; it and the rest stay.
        ready: list[tuple[TopicPartition, DeadLetter, str]] = []
        stuck: DeadLetter | None = None
        for tp, d in pending:
            destination = _destination(d, dlq.group, via_retry=via_retry, fallback=fallback)
            if destination is None:
                stuck = d
                break
            ready.append((tp, d, destination))
        if not pending:
            print(f"{topic}: nothing to replay", file=out)
            return 0
        where = "the group's retry topic" if via_retry else "their original topics"
        print(f"{topic}: {len(ready)} record(s) to replay to {where}:", file=out)
        for line in _summary([d for _, d, _ in ready]):
            print(line, file=out)
        if stuck is not None:
            print(
                f"  stops before offset {stuck.offset}: it has no original-topic header"
                " (give --to TOPIC to send such records there)",
                file=out,
            )
        if dry_run:
            print("dry run: nothing was replayed", file=out)
            return 0
        if not ready:
            return 1
        question = (
            f"Re-publish {len(ready)} record(s) from {topic} to {where}"
            f" (topic prefix {settings.kafka_topic_prefix!r})?"
        )
        if not confirm(question, assume_yes=assume_yes, answers=answers, out=out):
            return 1
        producer = EventProducer(settings, client_id="notify-dead-letters")
        await producer.start()
        try:
            done = 0
            for i in range(0, len(ready), _SEND_BATCH):
                chunk = ready[i : i + _SEND_BATCH]
                await asyncio.gather(
                    *(
                        producer.send_raw(
                            dest, d.value, d.key, _replay_headers(d, via_retry=via_retry, fallback=fallback)
                        )
                        for _, d, dest in chunk
                    )
                )
                last: dict[TopicPartition, int] = {}
                for tp, d, _ in chunk:
                    last[tp] = d.offset + 1
                for tp, next_offset in last.items():
                    await dlq.mark_replayed(tp, next_offset)
                before, done = done, done + len(chunk)
                if done // _PROGRESS_EVERY != before // _PROGRESS_EVERY or done == len(ready):
                    print(f"replayed {done}/{len(ready)}", file=out)
        finally:
            await producer.stop()
    return 0 if stuck is None else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="notify-dead-letters",
        description="List the records a consumer group gave up on (its dead-letter topic), "
        "and replay them once the cause is fixed. Topic names are logical (without "
        "NOTIFY_KAFKA_TOPIC_PREFIX); Kafka is reached with the NOTIFY_KAFKA_* settings.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{list,replay}")
    names = sorted(DEAD_LETTER_TOPICS)
    ls = sub.add_parser(
        "list",
        help="count the records not replayed yet, by original topic, event type and error",
        description="Count the records of dead-letter topics not replayed yet, by original topic, "
        "event type and error; --show prints one line per record (never its value).",
    )
    ls.add_argument("--topic", choices=names, action="append", help="a dead-letter topic (default: all)")
    ls.add_argument("--show", action="store_true", help="one line per record instead of counts")
    ls.add_argument("--limit", type=int, help="look at no more than this many records per topic")
    rp = sub.add_parser(
        "replay",
        help="re-publish the records not replayed yet (asks first)",
        description="Re-publish the records of a dead-letter topic not replayed yet to the topic "
        "each was first read from, with its key, value and headers (minus the retry and "
        "dead-letter ones), so it is handled again from a first attempt. Every group reading that "
        "topic reads the record again (their handlers are idempotent); --via-retry-topic sends it "
        "only to the group that gave up. Asks for confirmation unless --yes.",
    )
    rp.add_argument("--topic", choices=names, required=True, help="the dead-letter topic to replay")
    rp.add_argument("--dry-run", action="store_true", help="say what would be replayed; change nothing")
    rp.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    rp.add_argument(
        "--via-retry-topic",
        action="store_true",
        help="send to the group's retry topic, not the original topic",
    )
    rp.add_argument(
        "--to",
        metavar="TOPIC",
        choices=sorted(t for t in topics.TOPICS_BY_NAME if t not in DEAD_LETTER_TOPICS),
        help="where records with no original-topic header go (a logical topic name)",
    )
    rp.add_argument("--limit", type=int, help="replay no more than this many records")
    return p


def main(
    argv: list[str] | None = None,
    settings: CommonSettings | None = None,
    out: TextIO | None = None,
    answers: TextIO | None = None,
) -> int:
    args = parser().parse_args(argv)
    settings = settings or CommonSettings()
    out = out or sys.stdout
    if args.command == "list":
        chosen = args.topic or sorted(DEAD_LETTER_TOPICS)
        return asyncio.run(list_dead_letters(settings, chosen, show=args.show, limit=args.limit, out=out))
    return asyncio.run(
        replay_dead_letters(
            settings,
            args.topic,
            dry_run=args.dry_run,
            assume_yes=args.yes,
            via_retry=args.via_retry_topic,
            fallback=args.to,
            limit=args.limit,
            out=out,
            answers=answers,
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
