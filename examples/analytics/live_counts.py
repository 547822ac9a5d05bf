"""Live per-minute counts of a notification platform's lifecycle topic, by channel and status.

A stand-alone example for teams that consume the platform's events: it needs only the ``.avsc``
files of the platform's ``schemas/`` directory, fastavro and aiokafka (``pip install fastavro
aiokafka``). Each message is Avro single-object encoded: the bytes C3 01, the 8-byte CRC-64-AVRO
fingerprint of the writer schema, then the Avro body; the fingerprint says which schema to read
it with.

    python live_counts.py --bootstrap 127.0.0.1:19092 --topic notify.notification.status \\
        --schemas ../../schemas --from-beginning

Every few seconds it prints the counts of the minutes seen so far, e.g.
``2026-12-05T10:31Z  sms    delivered          42``. With ``--idle-exit N`` it prints once more
and stops after N seconds without a new message.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
from aiokafka import AIOKafkaConsumer
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

# The request events name their channel; the status events after them carry a channel only
# where the schema has one, so the rest are shown as "-".
CHANNEL_OF_REQUEST = {"SmsRequested": "sms", "EmailRequested": "email", "LetterRequested": "letter"}
STATUS_OF_EVENT = {
    "SmsRequested": "created",
    "EmailRequested": "created",
    "LetterRequested": "created",
    "NotificationSentToProvider": "sending",
    "NotificationPending": "pending",
    "NotificationDelivered": "delivered",
}


def load_schemas(directory: Path) -> dict[bytes, Any]:
    """Every schema of ``directory`` (and its history/), by fingerprint."""
    schemas: dict[bytes, Any] = {}
    for path in [*directory.glob("*.avsc"), *directory.glob("history/*.avsc")]:
        raw = json.loads(path.read_text(encoding="utf-8"))
        key = bytes.fromhex(fingerprint(to_parsing_canonical_form(raw), "CRC-64-AVRO"))
        schemas[key] = parse_schema(raw, named_schemas={})
    return schemas


def decode(schemas: dict[bytes, Any], message: bytes) -> tuple[str, dict[str, Any]] | None:
    if message[:2] != b"\xc3\x01" or message[2:10] not in schemas:
        return None
    schema = schemas[message[2:10]]
    record = fastavro.schemaless_reader(io.BytesIO(message[10:]), schema, None)
    return schema["name"].rsplit(".", 1)[-1], record  # type: ignore[return-value]


def classify(name: str, record: dict[str, Any]) -> tuple[str, str] | None:
    """(channel, status) of an event, or None for events that are not a notification's status."""
    if name == "NotificationFailed":
        status = str(record.get("failure_kind", "technical_failure")).replace("_", "-")
    elif name in STATUS_OF_EVENT:
        status = STATUS_OF_EVENT[name]
    else:
        return None
    channel = CHANNEL_OF_REQUEST.get(name) or record.get("channel") or "-"
    return str(channel), status


def minute(occurred_at: datetime) -> str:
    return occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def show(counts: Counter[tuple[str, str, str]]) -> None:
    for (at, channel, status), n in sorted(counts.items()):
        print(f"{at}  {channel:<6} {status:<18} {n:>6}")
    print(flush=True)


async def run(args: argparse.Namespace) -> None:
    schemas = load_schemas(Path(args.schemas))
    consumer = AIOKafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=args.group is not None,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
    )
    await consumer.start()
    counts: Counter[tuple[str, str, str]] = Counter()
    last_message = last_print = time.monotonic()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for message in records:
                    last_message = time.monotonic()
                    decoded = decode(schemas, message.value) if message.value else None
                    kind = classify(*decoded) if decoded else None
                    if kind is not None and decoded is not None:
                        counts[(minute(decoded[1]["occurred_at"]), *kind)] += 1
            now = time.monotonic()
            if args.idle_exit and now - last_message > args.idle_exit:
                show(counts)
                return
            if now - last_print > args.every:
                show(counts)
                last_print = now
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--topic", default="notify.notification.status")
    parser.add_argument("--schemas", default=str(Path(__file__).resolve().parents[2] / "schemas"))
    parser.add_argument("--group", default=None, help="a consumer group, to resume where it left off")
    parser.add_argument("--from-beginning", action="store_true")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between printouts")
    parser.add_argument("--idle-exit", type=float, default=0.0, help="stop after this many idle seconds")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
