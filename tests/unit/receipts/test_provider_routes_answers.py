"""The provider routes answer the same straight from ASGI (``served_app``, what the server runs) as
through FastAPI's routing (``create_app`` alone): the same status, body and headers, and the same
events published, for valid and invalid receipts, print callbacks and inbound texts, refusals and
a database that cannot answer. Kafka and PostgreSQL are played by fakes; the send events known are
the real in-memory ``RecentSends``."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from notify_common.errors import DependencyUnavailableError, RetryableError
from notify_common.events import Channel, Event, NotificationSentToProvider
from notify_receipts import app as app_module
from notify_receipts.app import create_app, served_app
from notify_receipts.domain import Known
from notify_receipts.gathered import GatheredLookups
from notify_receipts.recent import RecentSends
from notify_receipts.settings import ReceiptsSettings

TOKEN, PRINT_TOKEN = "mmg-token-0123456789", "print-token-0123456789"
INBOUND = ("inbound-user", "inbound-password")
SERVICE = str(uuid.uuid4())
KNOWN_MMG, KNOWN_FIRETEXT, KNOWN_LETTER = (str(uuid.uuid4()) for _ in range(3))
CLAIMED_ONLY = str(uuid.uuid4())  # claimed for mmg, its send event never learnt
NEVER_SENT = str(uuid.uuid4())
OWNED_NUMBER = "447700900111"


class Publisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str, str | None]] = []

    def _note(self, topic: str, event: Event) -> None:
        self.published.append((topic, type(event).__name__, event.event_id, event.service_id))

    async def publish(self, topic: str, event: Event) -> None:
        self._note(topic, event)

    async def publish_many(self, items: Iterable[tuple[str, Event]]) -> None:
        for topic, event in items:
            self._note(topic, event)


class Lookups:
    def __init__(self, *, down: bool = False) -> None:
        self.down = down

    def _check(self) -> None:
        if self.down:
            raise DependencyUnavailableError("database unavailable")

    async def known(self, notification_ids: list[str]) -> dict[str, Known]:
        self._check()
        return {}

    async def claimed_by(self, notification_ids: list[str], provider: str) -> bool:
        self._check()
        return provider == "mmg" and set(notification_ids) <= {CLAIMED_ONLY}

    async def inbound_service(self, e164: str, local: str) -> tuple[str, str] | None:
        self._check()
        return (SERVICE, "07700900111") if e164 == OWNED_NUMBER else None


class Producer(Publisher):
    pass


def sent(nid: str, provider: str, channel: Channel) -> NotificationSentToProvider:
    at = datetime.now(UTC)
    return NotificationSentToProvider(
        notification_id=nid, service_id=SERVICE, channel=channel, provider=provider, provider_reference=nid,
        sent_at=at, billable_units=1, notification_type=channel.value, client_reference=None,
        recipient="07700900123", template_id=str(uuid.uuid4()), template_version=1, created_at=at,
    )  # fmt: skip


def settings(**overrides: Any) -> ReceiptsSettings:
    values: dict[str, Any] = {
        "mmg_receipt_token": TOKEN,
        "firetext_receipt_token": TOKEN,
        "letter_callback_token": PRINT_TOKEN,
        "mmg_inbound_username": INBOUND[0],
        "mmg_inbound_password": INBOUND[1],
        "firetext_inbound_username": INBOUND[0],
        "firetext_inbound_password": INBOUND[1],
        "receipts_sent_wait_seconds": 0.0,
        **overrides,
    }
    return ReceiptsSettings(**values)


def with_fakes(app: FastAPI, *, down: bool = False) -> tuple[Publisher, Producer]:
    """The state the lifespan would give ``app``, with Kafka and PostgreSQL played by fakes."""
    recent = RecentSends(100)
    recent.learnt(
        [
            sent(KNOWN_MMG, "mmg", Channel.SMS),
            sent(KNOWN_FIRETEXT, "firetext", Channel.SMS),
            sent(KNOWN_LETTER, "dvla", Channel.LETTER),
        ]
    )
    lookups = Lookups(down=down)
    publisher, producer = Publisher(), Producer()
    app.state.recent, app.state.lookups, app.state.publisher, app.state.producer = (
        recent, lookups, publisher, producer,
    )  # fmt: skip
    app.state.gathered = GatheredLookups(lookups.known)
    return publisher, producer


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


MMG, FIRETEXT = "/notifications/sms/mmg", "/notifications/sms/firetext"
STATUS, RETURNED = "/notifications/letter/status", "/notifications/letter/returned"
MMG_IN, FIRETEXT_IN = "/notifications/sms/receive/mmg", "/notifications/sms/receive/firetext"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
T = f"?token={TOKEN}"
P = f"?token={PRINT_TOKEN}"

CASES: list[tuple[str, str, dict[str, Any]]] = [
    # MMG delivery receipts
    ("mmg delivered", MMG + T, {"json": {"CID": KNOWN_MMG, "status": "3", "substatus": "2"}}),
    ("mmg failed, no substatus", MMG + T, {"json": {"CID": KNOWN_MMG, "status": "5"}}),
    ("mmg unknown status", MMG + T, {"json": {"CID": KNOWN_MMG, "status": "99"}}),
    (
        "mmg token as basic auth",
        MMG,
        {"json": {"CID": KNOWN_MMG, "status": "3"}, "headers": basic("x", TOKEN)},
    ),
    (
        "mmg token twice, the last wins",
        MMG + "?token=wrong&token=" + TOKEN,
        {"json": {"CID": KNOWN_MMG, "status": "3"}},
    ),
    (
        "mmg token twice, the last loses",
        MMG + T + "&token=wrong",
        {"json": {"CID": KNOWN_MMG, "status": "3"}},
    ),
    ("mmg token percent-encoded", MMG + "?%74oken=" + TOKEN, {"json": {"CID": KNOWN_MMG, "status": "3"}}),
    ("mmg wrong token", MMG + "?token=wrong", {"json": {"CID": KNOWN_MMG, "status": "3"}}),
    ("mmg no token", MMG, {"json": {"CID": KNOWN_MMG, "status": "3"}}),
    ("mmg malformed basic auth", MMG, {"json": {"CID": KNOWN_MMG}, "headers": {"Authorization": "Basic !!"}}),
    ("mmg not json", MMG + T, {"content": b"CID=1&status=3"}),
    ("mmg empty body", MMG + T, {"content": b""}),
    ("mmg not utf-8", MMG + T, {"content": b'{"CID": "\xff"}'}),
    ("mmg json list", MMG + T, {"json": [KNOWN_MMG]}),
    ("mmg no status", MMG + T, {"json": {"CID": KNOWN_MMG}}),
    ("mmg invalid reference", MMG + T, {"json": {"CID": "not-a-uuid", "status": "3"}}),
    ("mmg never sent", MMG + T, {"json": {"CID": NEVER_SENT, "status": "3"}}),
    ("mmg another provider's message", MMG + T, {"json": {"CID": KNOWN_FIRETEXT, "status": "3"}}),
    ("mmg overtook its send event", MMG + T, {"json": {"CID": CLAIMED_ONLY, "status": "3"}}),
    # Firetext delivery receipts
    (
        "firetext delivered",
        FIRETEXT + T,
        {"data": {"reference": KNOWN_FIRETEXT, "status": "0", "code": "000"}},
    ),
    (
        "firetext temporary",
        FIRETEXT + T,
        {"data": {"reference": KNOWN_FIRETEXT, "status": "1", "code": "102"}},
    ),
    ("firetext pending", FIRETEXT + T, {"data": {"reference": KNOWN_FIRETEXT, "status": "2"}}),
    ("firetext no status", FIRETEXT + T, {"data": {"reference": KNOWN_FIRETEXT}}),
    ("firetext bad reference", FIRETEXT + T, {"data": {"reference": "x", "status": "0"}}),
    ("firetext unknown", FIRETEXT + T, {"data": {"reference": NEVER_SENT, "status": "0"}}),
    ("firetext wrong token", FIRETEXT + "?token=no", {"data": {"reference": KNOWN_FIRETEXT, "status": "0"}}),
    ("firetext json body", FIRETEXT + T, {"json": {"reference": KNOWN_FIRETEXT, "status": "0"}}),
    # The print provider
    ("print despatched", STATUS + P, {"json": {"data": {"jobId": KNOWN_LETTER, "jobStatus": "DESPATCHED"}}}),
    ("print rejected", STATUS + P, {"json": {"data": {"jobId": KNOWN_LETTER, "jobStatus": "rejected"}}}),
    ("print unknown status", STATUS + P, {"json": {"data": {"jobId": KNOWN_LETTER, "jobStatus": "LOST"}}}),
    ("print no data", STATUS + P, {"json": {"jobId": KNOWN_LETTER}}),
    ("print unknown job", STATUS + P, {"json": {"data": {"jobId": NEVER_SENT, "jobStatus": "DESPATCHED"}}}),
    ("print mmg's token", STATUS + T, {"json": {"data": {"jobId": KNOWN_LETTER, "jobStatus": "DESPATCHED"}}}),
    ("returned letters", RETURNED + P, {"json": {"references": [KNOWN_LETTER]}}),
    ("returned, none", RETURNED + P, {"json": {"references": []}}),
    ("returned, invalid", RETURNED + P, {"json": {"references": ["x"]}}),
    ("returned, unknown", RETURNED + P, {"json": {"references": [KNOWN_LETTER, NEVER_SENT]}}),
    ("returned, no list", RETURNED + P, {"json": {"refs": []}}),
    # Inbound texts
    (
        "mmg inbound",
        MMG_IN,
        {
            "json": {
                "MSISDN": "447700900123",
                "Number": OWNED_NUMBER,
                "Message": "Hi%21",
                "ID": "m1",
                "DateReceived": "2026-12-05+10%3A00%3A00",
            },
            "headers": basic(*INBOUND),
        },
    ),
    (
        "mmg inbound, unknown number",
        MMG_IN,
        {
            "json": {"MSISDN": "447700900123", "Number": "447700900999", "Message": "Hi"},
            "headers": basic(*INBOUND),
        },
    ),
    ("mmg inbound, bad body", MMG_IN, {"json": {"Number": OWNED_NUMBER}, "headers": basic(*INBOUND)}),
    ("mmg inbound, wrong password", MMG_IN, {"json": {}, "headers": basic(INBOUND[0], "wrong")}),
    ("mmg inbound, token instead", MMG_IN + T, {"json": {}}),
    (
        "firetext inbound",
        FIRETEXT_IN,
        {
            "data": {
                "source": "07700900123",
                "destination": "07700900111",
                "message": "Hello",
                "time": "2026-12-05 10:00:00",
                "reference": "f1",
            },
            "headers": basic(*INBOUND),
        },
    ),
    (
        "firetext inbound, bad body",
        FIRETEXT_IN,
        {"data": {"source": "07700900123"}, "headers": basic(*INBOUND)},
    ),
]


# What each case is answered: the status and the body's message (its result, or status, when it has
# none), as the routes answered before they were served straight from ASGI.
EXPECTED: dict[str, tuple[int, str]] = {
    "mmg delivered": (200, "success"),
    "mmg failed, no substatus": (200, "success"),
    "mmg unknown status": (200, "success"),
    "mmg token as basic auth": (200, "success"),
    "mmg token twice, the last wins": (200, "success"),
    "mmg token twice, the last loses": (401, "unauthorised"),
    "mmg token percent-encoded": (200, "success"),
    "mmg wrong token": (401, "unauthorised"),
    "mmg no token": (401, "unauthorised"),
    "mmg malformed basic auth": (401, "unauthorised"),
    "mmg not json": (400, "MMG callback failed: invalid body"),
    "mmg empty body": (400, "MMG callback failed: invalid body"),
    "mmg not utf-8": (400, "MMG callback failed: invalid body"),
    "mmg json list": (400, "MMG callback failed: invalid body"),
    "mmg no status": (400, "MMG callback failed: invalid body"),
    "mmg invalid reference": (400, "MMG callback with invalid reference"),
    "mmg never sent": (404, "MMG callback for an unknown reference"),
    "mmg another provider's message": (404, "MMG callback for an unknown reference"),
    "mmg overtook its send event": (200, "success"),
    "firetext delivered": (200, "success"),
    "firetext temporary": (200, "success"),
    "firetext pending": (200, "success"),
    "firetext no status": (400, "Firetext callback failed: invalid body"),
    "firetext bad reference": (400, "Firetext callback failed: invalid body"),
    "firetext unknown": (404, "Firetext callback for an unknown reference"),
    "firetext wrong token": (401, "unauthorised"),
    "firetext json body": (400, "Firetext callback failed: invalid body"),
    "print despatched": (200, "success"),
    "print rejected": (200, "success"),
    "print unknown status": (400, "letter callback with invalid reference or status"),
    "print no data": (400, "letter callback failed: invalid body"),
    "print unknown job": (404, "letter callback for an unknown reference"),
    "print mmg's token": (401, "unauthorised"),
    "returned letters": (200, "success"),
    "returned, none": (400, "returned letters: invalid references"),
    "returned, invalid": (400, "returned letters: invalid references"),
    "returned, unknown": (404, "returned letters: unknown references"),
    "returned, no list": (400, "returned letters: invalid body"),
    "mmg inbound": (200, "ok"),
    "mmg inbound, unknown number": (200, "ok"),
    "mmg inbound, bad body": (400, "MMG inbound: invalid body"),
    "mmg inbound, wrong password": (401, "unauthorised"),
    "mmg inbound, token instead": (401, "unauthorised"),
    "firetext inbound": (200, "ok"),
    "firetext inbound, bad body": (400, "Firetext inbound: invalid body"),
}


async def answer(app: Any, path: str, request: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receipts") as client:
        kwargs = dict(request)
        if "data" in kwargs:  # a form, encoded by hand (httpx wants files= or data= for it)
            body = httpx.QueryParams(kwargs.pop("data"))
            kwargs["content"] = str(body).encode()
            kwargs["headers"] = {**FORM, **kwargs.get("headers", {})}
        response = await client.post(path, **kwargs)
    headers = {k: v for k, v in response.headers.items() if k in ("content-type", "retry-after")}
    return response.status_code, response.content, headers


@pytest.mark.parametrize(("case", "path", "request_"), CASES, ids=[c[0] for c in CASES])
async def test_a_provider_route_answers_straight_from_asgi_as_through_the_framework(
    case: str, path: str, request_: dict[str, Any]
) -> None:
    framework = create_app(settings())
    through_framework = with_fakes(framework)
    direct = served_app(settings())
    straight = with_fakes(direct.app)

    expected = await answer(framework, path, request_)
    assert await answer(direct, path, request_) == expected
    assert straight[0].published == through_framework[0].published
    assert straight[1].published == through_framework[1].published
    status, body, headers = expected
    content = json.loads(body)
    assert (status, content.get("message") or content.get("result") or content.get("status")) == EXPECTED[
        case
    ]
    assert headers == {"content-type": "application/json"}
    taken = status == 200 and case != "mmg inbound, unknown number"
    assert len(straight[0].published + straight[1].published) == (1 if taken else 0)


@pytest.mark.parametrize(
    ("path", "request_"),
    [
        (MMG + T, {"json": {"CID": NEVER_SENT, "status": "3"}}),
        (
            MMG_IN,
            {
                "json": {"MSISDN": "447700900123", "Number": OWNED_NUMBER, "Message": "Hi", "ID": "m2"},
                "headers": basic(*INBOUND),
            },
        ),
    ],
)
async def test_with_the_database_down_the_answers_and_what_is_taken_unchecked_are_the_same(
    path: str, request_: dict[str, Any]
) -> None:
    framework = create_app(settings())
    through_framework = with_fakes(framework, down=True)
    direct = served_app(settings())
    straight = with_fakes(direct.app, down=True)

    expected = await answer(framework, path, request_)
    assert expected[0] == 200
    assert await answer(direct, path, request_) == expected
    assert straight[0].published == through_framework[0].published
    assert straight[1].published == through_framework[1].published


async def test_a_source_outside_the_allowlist_is_refused_the_same_way() -> None:
    only = {"receipts_allowed_networks": "10.0.0.0/8"}
    request_: dict[str, Any] = {"json": {"CID": KNOWN_MMG, "status": "3"}}
    expected = await answer(create_app(settings(**only)), MMG + T, request_)
    assert expected == (
        403,
        b'{"result":"error","message":"source address not allowed"}',
        {"content-type": "application/json"},
    )
    direct = served_app(settings(**only))
    with_fakes(direct.app)
    assert await answer(direct, MMG + T, request_) == expected


async def test_a_database_error_is_the_apps_503_either_way() -> None:
    class Failing(Lookups):
        async def claimed_by(self, notification_ids: list[str], provider: str) -> bool:
            raise RetryableError("database error")

    framework, direct = create_app(settings()), served_app(settings())
    answers = []
    for app, state_of in ((framework, framework), (direct, direct.app)):
        with_fakes(state_of)
        state_of.state.lookups = Failing()
        answers.append(await answer(app, MMG + T, {"json": {"CID": NEVER_SENT, "status": "3"}}))
    assert answers[0] == answers[1]
    status, body, headers = answers[0]
    assert (status, json.loads(body), headers["retry-after"]) == (
        503,
        {"result": "error", "message": "temporarily unavailable"},
        "5",
    )


class CountingLookups(Lookups):
    def __init__(self) -> None:
        super().__init__()
        self.claims_asked = 0

    async def claimed_by(self, notification_ids: list[str], provider: str) -> bool:
        self.claims_asked += 1
        return await super().claimed_by(notification_ids, provider)


async def test_a_receipt_whose_send_event_is_learnt_a_moment_later_is_taken_without_asking_for_the_claim() -> (
    None
):
    direct = served_app(settings(receipts_sent_wait_seconds=1.0))
    publisher, _ = with_fakes(direct.app)
    lookups = direct.app.state.lookups = CountingLookups()
    late = str(uuid.uuid4())
    asyncio.get_running_loop().call_later(
        0.05, direct.app.state.recent.learnt, [sent(late, "mmg", Channel.SMS)]
    )

    status, _, _ = await answer(direct, MMG + T, {"json": {"CID": late, "status": "3"}})
    assert status == 200
    assert [(topic, kind, service) for topic, kind, _, service in publisher.published] == [
        ("notify.notification.status", "NotificationDelivered", SERVICE)
    ]
    assert lookups.claims_asked == 0


async def test_a_receipt_for_a_notification_never_claimed_is_still_refused_after_the_wait() -> None:
    direct = served_app(settings(receipts_sent_wait_seconds=1.0))
    publisher, producer = with_fakes(direct.app)
    lookups = direct.app.state.lookups = CountingLookups()

    status, body, _ = await answer(direct, MMG + T, {"json": {"CID": NEVER_SENT, "status": "3"}})
    assert (status, json.loads(body)["message"]) == (404, "MMG callback for an unknown reference")
    assert (publisher.published, producer.published, lookups.claims_asked) == ([], [], 1)


def test_the_consumer_waits_for_fuller_fetches_no_longer_than_a_receipt_waits_for_its_send_event() -> None:
    assert app_module.FETCH_MIN_BYTES > 1
    assert app_module.FETCH_MAX_WAIT_MS / 1000 < app_module.FIRST_WAIT_SECONDS / 2
