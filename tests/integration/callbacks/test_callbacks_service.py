"""The callbacks service as ``notify-callbacks`` composes and runs it (``build``, the runtime's
consumers, its start and stop), against real Kafka, PostgreSQL and an HTTP receiver: a receiver
slow to answer holds up only its own callback, not the batches fetched after it."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks.__main__ import build
from notify_callbacks.settings import CallbacksSettings
from notify_common import topics
from notify_common.events import NotificationDelivered, SmsRequested, facts_of
from notify_common.kafka import EventProducer
from notify_common.runtime import consumers
from notify_common.settings import CommonSettings
from tests.support.lifecycle import add_callback, add_service, eventually


@dataclass
class HoldingReceiver:
    """Answers 200 at once on ``/fast``; holds a call on ``/slow`` until ``release`` is set."""

    url: str = ""
    paths: list[str] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def holding_receiver() -> Iterator[HoldingReceiver]:
    receiver = HoldingReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/slow":
                receiver.holding.set()
                receiver.release.wait(60)
            receiver.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()


@asynccontextmanager
async def running_service(settings: CallbacksSettings, producer: EventProducer) -> AsyncIterator[None]:
    app = build(settings, producer)
    members = consumers(settings, app, producer)
    if app.on_start is not None:
        await app.on_start()
    for member in members:
        await member.start()
    running = [asyncio.create_task(member.run()) for member in members]
    try:
        yield
    finally:
        for member in members:
            member.request_stop()
        await asyncio.wait_for(asyncio.gather(*running), 60)
        if app.on_stop is not None:
            await app.on_stop()


def delivered(service_id: str) -> NotificationDelivered:
    nid, now = str(uuid.uuid4()), datetime.now(UTC)
    requested = SmsRequested(
        notification_id=nid, service_id=service_id, template_id=str(uuid.uuid4()), template_version=1,
        key_type="normal", phone_number="447700900123", international=False, sender="GOVUK", body="hi",
        fragment_count=1, created_at=now,
    )  # fmt: skip
    return NotificationDelivered(
        notification_id=nid, service_id=service_id, provider="mmg", delivered_at=now,
        notification_sent_at=now, **facts_of(requested),
    )  # fmt: skip


async def test_a_receiver_slow_to_answer_holds_up_only_its_own_callback(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, database: str
) -> None:
    settings = CallbacksSettings(
        **{**kafka.model_dump(), "callback_allowed_networks": "127.0.0.0/8"},
        callback_timeout_seconds=60.0,
        callback_config_refresh_seconds=0.5,
    )
    slow, fast = await add_service(engine), await add_service(engine)
    with holding_receiver() as receiver:
        await add_callback(engine, kafka, slow, "delivery_status", f"{receiver.url}/slow", "token", None)
        await add_callback(engine, kafka, fast, "delivery_status", f"{receiver.url}/fast", "token", None)
        async with running_service(settings, producer):
            await producer.publish(topics.NOTIFICATION_STATUS, delivered(slow))
            await eventually(receiver.holding.is_set)
            await producer.publish(topics.NOTIFICATION_STATUS, delivered(fast))
            await eventually(lambda: receiver.paths == ["/fast"])
            receiver.release.set()
            await eventually(lambda: receiver.paths == ["/fast", "/slow"])
