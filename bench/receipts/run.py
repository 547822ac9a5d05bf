"""bench/receipts: CPU of the receipts service per notification, as the platform loads it.

The receipts service runs as a real process (``notify-receipts``) against the real Kafka and
PostgreSQL, under a topic prefix and database of its own. At ``--rate`` notifications a second for
``--seconds``, this process plays the sms-sender and the provider: it claims each notification
(``sms_send_claims``), publishes its ``NotificationSentToProvider`` on the status topic, and posts an
MMG delivery receipt after a delay drawn as the provider simulator draws it (100 to 1,000 ms), over
32 pooled connections. The receipts service learns the send events from the status topic (where
its own delivered events land too) and answers each receipt once its event is acknowledged.

Reported: the receipts process's CPU time (user + system, from ``/proc/<pid>/stat``) from the start
of the load until every receipt is answered and every send event is learnt, per notification, with
its idle CPU over the same span (measured before the load) apart; receipts answered 200; receipts
that overtook their send event and waited (``overtook``) or were taken onto the unchecked topic
(``unchecked``), from the service's metrics; and the load average.

    .venv/bin/python bench/receipts/run.py [--rate 300] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from pydantic import SecretStr
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import _delete_topics  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.senders import free_port  # noqa: E402

from bench.proc import cpu_seconds  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from notify_common import topics  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.events import Channel, NotificationSentToProvider  # noqa: E402
from notify_common.kafka import EventProducer  # noqa: E402
from notify_common.provision import provision_topics  # noqa: E402
from notify_common.settings import CommonSettings  # noqa: E402

CLAIM = text(
    "INSERT INTO sms_send_claims (notification_id, channel, provider) "
    "SELECT unnest(CAST(:ids AS uuid[])), 'sms', 'mmg'"
)


def sent_event(nid: str, service_id: str) -> NotificationSentToProvider:
    at = datetime.now(UTC)
    return NotificationSentToProvider(
        notification_id=nid, service_id=service_id, channel=Channel.SMS, provider="mmg",
        provider_reference=nid, sent_at=at, billable_units=1, notification_type="sms",
        client_reference="bench", recipient="07700900123", template_id=str(uuid.uuid4()),
        template_version=1, created_at=at,
    )  # fmt: skip


async def metric(session: aiohttp.ClientSession, url: str, pattern: str) -> float:
    async with session.get(f"{url}/metrics") as response:
        body = await response.text()
    return sum(float(m) for m in re.findall("^" + pattern + r"\S* (\S+)", body, re.MULTILINE))


async def load(
    settings: CommonSettings, url: str, sync_url: str, token: str, rate: int, seconds: int
) -> tuple[int, int, int]:
    """Sends, claims and receipts at ``rate`` for ``seconds``; (notifications, receipts taken,
    receipts refused)."""
    producer = EventProducer(settings, client_id="bench-receipts-sender")
    await producer.start()
    engine = create_engine(sync_url)
    service_id = str(uuid.uuid4())
    taken = refused = 0
    posts: list[asyncio.Task[None]] = []
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))
    receipt_url = f"{url}/notifications/sms/mmg?token={token}"

    async def receipt(nid: str, delay: float) -> None:
        nonlocal taken, refused
        await asyncio.sleep(delay)
        async with session.post(receipt_url, json={"CID": nid, "status": "3"}) as response:
            await response.read()
            if response.status == 200:
                taken += 1
            else:
                refused += 1

    tick, start = 0.05, time.monotonic()
    due = 0
    while (elapsed := time.monotonic() - start) < seconds:
        wanted = int(elapsed * rate) - due
        if wanted > 0:
            ids = [str(uuid.uuid4()) for _ in range(wanted)]
            due += wanted
            with engine.begin() as conn:
                conn.execute(CLAIM, {"ids": ids})
            await producer.publish_many((topics.NOTIFICATION_STATUS, sent_event(n, service_id)) for n in ids)
            posts += [asyncio.create_task(receipt(n, random.uniform(0.1, 1.0))) for n in ids]
        await asyncio.sleep(tick)
    await asyncio.gather(*posts)
    await session.close()
    await producer.stop()
    engine.dispose()
    return due, taken, refused


async def run(rate: int, seconds: int, logs: Path, profile: str | None) -> None:
    with scratch_database("notify_bench_receipts") as db_url:
        kafka = os.environ.get("NOTIFY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
        settings = CommonSettings(
            kafka_bootstrap_servers=kafka,
            kafka_topic_prefix=f"bench-receipts-{uuid.uuid4().hex[:6]}.",
            database_url=SecretStr(db_url),
        )
        token = secrets.token_hex(16)
        service = ServiceProcess(
            "receipts",
            free_port(),
            {
                **os.environ,
                "NOTIFY_ENVIRONMENT": "development",
                "NOTIFY_SECRET_KEY": secrets.token_hex(32),
                "NOTIFY_DATABASE_URL": db_url,
                "NOTIFY_KAFKA_BOOTSTRAP_SERVERS": kafka,
                "NOTIFY_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
                "NOTIFY_MMG_RECEIPT_TOKEN": token,
                "NOTIFY_LOG_LEVEL": "WARNING",
            },
            logs,
        )
        try:
            upgrade(db_url)
            await provision_topics(settings)
            service.start()
            service.wait_ready()
            assert service.process is not None
            pid = service.process.pid
            await asyncio.sleep(3)  # the consumer joins its group
            idle_from, idle_at = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(5)
            idle_per_s = (cpu_seconds(pid) - idle_from) / (time.monotonic() - idle_at)
            cpu, wall = cpu_seconds(pid), time.monotonic()
            spy = None
            if profile:
                command = [str(ROOT / ".venv/bin/py-spy"), "record", "--nonblocking", "--gil"]
                command += ["--rate", "100"]
                command += ["--format", "raw", "--duration", str(seconds), "-o", profile, "--pid", str(pid)]
                spy = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: ASYNC220
            total, taken, refused = await load(settings, service.url, db_url, token, rate, seconds)
            if spy is not None:
                spy.wait()
            sync = create_engine(db_url)
            for _ in range(600):  # every send event learnt
                with sync.connect() as conn:
                    learnt = conn.execute(text("SELECT count(*) FROM receipt_notifications")).scalar_one()
                if learnt >= total:
                    break
                await asyncio.sleep(0.1)
            sync.dispose()
            cpu, wall = cpu_seconds(pid) - cpu, time.monotonic() - wall
            async with aiohttp.ClientSession() as session:
                unchecked = await metric(
                    session, service.url, r'notify_receipts_unchecked_total\{kind="overtaken'
                )
                overtook = await metric(session, service.url, r"notify_receipts_overtaken_total")
            load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            busy = cpu - idle_per_s * wall
            print(
                f"RESULT receipts {rate}/s x {seconds} s: {total} sent, {taken} taken, {refused} refused, "
                f"{cpu / total * 1e3:.3f} ms CPU per notification ({busy / total * 1e3:.3f} ms without the "
                f"idle {idle_per_s * 1e3:.0f} ms/s), overtook {overtook:.0f}, unchecked {unchecked:.0f}, "
                f"wall {wall:.1f} s (load {load_avg})"
            )
        finally:
            service.stop()
            await _delete_topics(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--profile", help="py-spy's samples of the receipts process, to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as logs:
        asyncio.run(run(args.rate, args.seconds, Path(logs), args.profile))


if __name__ == "__main__":
    main()
