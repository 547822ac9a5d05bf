"""Delivery-status callbacks in the fault suite: a platform whose load service has a callback to
a receiver of the test's own, a second service whose receiver keeps failing (so its callbacks
stay unfinished, going round the callbacks group's retry topic, all through the fault), and the
check that every delivered notification's callback arrived."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from notify_admin_api.cli import store
from notify_admin_api.settings import AdminApiSettings
from tests.faults.load import send_sms_load
from tests.support.https_receiver import HttpsReceiver, Received
from tests.support.platform import Platform, running_platform

TOKEN = "fault-suite-callback-token"  # a test receiver's bearer token
CALLBACK_TIMEOUT_S = 180.0
LOOPBACK = "127.0.0.0/8,::1/128"
COMPLETED_AT = text("SELECT id, completed_at FROM notifications WHERE id = ANY(CAST(:ids AS uuid[]))")


@dataclass
class OtherService:
    """A second live service whose delivery-status callback answers 503 every time."""

    service_id: str
    sent: list[str]


def admin_settings(database_url: str, platform: Platform) -> AdminApiSettings:
    # The platform's processes may call receivers on loopback; so may this admin store.
    return AdminApiSettings(
        database_url=database_url, api_base_url=platform.api_url, callback_allowed_networks=LOOPBACK
    )


async def _set_callback(settings: AdminApiSettings, service_id: str, url: str) -> None:
    admin = store(settings)
    try:
        await admin.set_callback(service_id, "delivery_status", url, TOKEN)
    finally:
        await admin.engine.dispose()


async def _other_service(settings: AdminApiSettings, receiver: HttpsReceiver) -> tuple[str, str, str]:
    admin = store(settings)
    try:
        service_id = await admin.create_service(
            f"Fault suite other {time.time_ns()}", live=True, email_from="fault.other"
        )
        key = await admin.create_api_key(service_id, "fault suite", "normal")
        template_id = await admin.create_template(
            service_id, name="Other", template_type="sms", content="Hello ((name))"
        )
        await admin.set_callback(service_id, "delivery_status", f"{receiver.url}/other/failing", TOKEN)
    finally:
        await admin.engine.dispose()
    return service_id, key.combined, template_id


@contextmanager
def platform_with_callbacks(database_url: str, logs: Path, receiver: HttpsReceiver) -> Iterator[Platform]:
    """The platform, trusting ``receiver``'s certificate, with a delivery-status callback to
    ``receiver`` (path ``/load``) for the service the load sends as."""
    with running_platform(database_url, logs, SSL_CERT_FILE=str(receiver.certificate)) as platform:
        settings = admin_settings(database_url, platform)
        service_id = platform.credentials["NOTIFY_SERVICE_ID"]
        asyncio.run(_set_callback(settings, service_id, f"{receiver.url}/load"))
        yield platform


def start_other_service(database_url: str, platform: Platform, receiver: HttpsReceiver) -> OtherService:
    """Creates the second service and sends 20 texts as it; their callbacks then fail and are
    retried with backoff for minutes, through the same retry topic the load's callbacks use."""
    service_id, key, template_id = asyncio.run(
        _other_service(admin_settings(database_url, platform), receiver)
    )
    # The callbacks service reloads its configuration every 2 s: let it see the new callback.
    time.sleep(3)
    load = asyncio.run(send_sms_load(platform.api_url, key, template_id, rate=10, seconds=2))
    assert load.statuses == {201: 20}, load.summary()
    return OtherService(service_id, load.accepted)


@dataclass
class CallbackCounts:
    missing: list[str]
    repeated: int  # callbacks of a notification after its first
    other_webhook_id: list[str]  # notifications whose repeats carried another webhook-id
    other_service_attempts: int
    other_service_delivered: int
    lags: list[float]  # per delivered notification: seconds from its delivery to its first callback

    def line(self, fault: str) -> str:
        lags = sorted(self.lags) or [0.0]
        return (
            f"CALLBACKS {fault}: missing {len(self.missing)}, repeated {self.repeated}, "
            f"repeats with another webhook-id {len(self.other_webhook_id)}, from delivery to "
            f"callback median {lags[len(lags) // 2]:.0f} s, max {lags[-1]:.0f} s; the other service's "
            f"failing receiver was called {self.other_service_attempts} times "
            f"({self.other_service_delivered} answered 200)"
        )


def _by_notification(requests: list[Received], path: str) -> dict[str, list[Received]]:
    got: dict[str, list[Received]] = defaultdict(list)
    for r in requests:
        if r.path == path:
            got[str(r.body["id"])].append(r)
    return got


def wait_for_callbacks(
    receiver: HttpsReceiver, delivered: list[str], database_url: str, timeout: float
) -> CallbackCounts:
    """Waits until every id in ``delivered`` had its ``delivered`` callback answered 200 (or the
    timeout), then counts what the receiver got."""
    deadline = time.monotonic() + timeout
    wanted = set(delivered)
    while True:
        requests = receiver.requests()
        load = _by_notification(requests, "/load")
        done = {i for i, calls in load.items() if any(c.body.get("status") == "delivered" for c in calls)}
        if wanted <= done or time.monotonic() > deadline:
            break
        time.sleep(1)
    webhook_ids = {i: Counter(c.webhook_id for c in calls) for i, calls in load.items()}
    other = [r for r in requests if r.path == "/other/failing"]
    completed = completed_at(database_url, sorted(done & wanted))
    lags = [min(c.at for c in load[i]) - completed[i] for i in completed]
    return CallbackCounts(
        missing=sorted(wanted - done),
        repeated=sum(len(calls) - 1 for i, calls in load.items() if i in wanted),
        other_webhook_id=sorted(i for i, ids in webhook_ids.items() if len(ids) > 1 or None in ids),
        other_service_attempts=len(other),
        other_service_delivered=sum(1 for r in other if r.status == 200),
        lags=lags,
    )


def completed_at(database_url: str, ids: list[str]) -> dict[str, float]:
    """When each notification reached its final status, as projected (epoch seconds)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(COMPLETED_AT, {"ids": ids}).all()
    finally:
        engine.dispose()
    return {str(i): at.timestamp() for i, at in rows if at is not None}
