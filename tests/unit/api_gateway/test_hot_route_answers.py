"""The gateway's hot send routes answer exactly as FastAPI's routing of the same handlers does, for
valid and invalid requests alike: the same status, headers and body (Notify's error shapes
included), the request limits applied the same way; only a 201's new notification id differs."""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import jwt
import pytest
from fastapi import FastAPI

from notify_api_gateway.app import create_asgi_app
from notify_api_gateway.dependencies import AppState
from notify_api_gateway.limits import limits_for
from notify_api_gateway.recent import RecentNotifications
from notify_api_gateway.settings import ApiSettings
from notify_common.kafka import EventProducer
from notify_common.ratelimit import Admission, DailyDecision, RateDecision
from notify_common.request_limits import RequestLimits
from notify_common.service_config import ApiKey, ServiceConfig, Template
from tests.support.services import council

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
TEMPLATE_ID = str(uuid.uuid4())


class Configs:
    def __init__(self) -> None:
        service = council(SERVICE_ID)
        key = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE_ID, name="k", key_type="normal", revoked=False)
        self.config = ServiceConfig(service=service, keys=[(key, SECRET)])
        self.chosen = Template(
            id=TEMPLATE_ID,
            service_id=SERVICE_ID,
            version=1,
            name="t",
            template_type="sms",
            subject=None,
            content="Hello ((name)), your code is ((code))",
            postage=None,
            archived=False,
            created_at=datetime.now(UTC),
            updated_at=None,
            created_by=None,
            letter_contact_block=None,
        )

    async def service_config(self, service_id: str) -> ServiceConfig | None:
        return self.config if service_id == SERVICE_ID else None

    async def template(self, service_id: str, template_id: str) -> Template | None:
        return self.chosen if template_id == TEMPLATE_ID else None


class Admitted:
    async def admit(self, *args: Any, **kwargs: Any) -> Admission:
        return Admission(RateDecision(True, 0), DailyDecision(True))

    async def take_token(self, *args: Any) -> RateDecision:
        return RateDecision(True, 0)


class Acknowledged:
    async def send(self, topic: str, **record: Any) -> asyncio.Future[None]:
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@functools.cache
def apps() -> tuple[Any, Any]:
    """The gateway as served (hot routes) and its FastAPI app behind the same limits."""
    settings = ApiSettings(max_body_bytes=2048)
    producer = EventProducer(settings, client_id="test")
    producer._records = cast(Any, Acknowledged())
    unused = cast(Any, None)
    state = AppState(
        settings=settings,
        repository=cast(Any, Configs()),
        producer=producer,
        reads=unused,
        limiter=cast(Any, Admitted()),
        recent=RecentNotifications(unused, 600),
        idempotency=unused,
        held=unused,
        letters=unused,
        documents=unused,
        job_files=unused,
        legacy=unused,
    )
    served = create_asgi_app(settings)
    fastapi: Any = served
    while not isinstance(fastapi, FastAPI):
        fastapi = fastapi.app
    fastapi.state.notify = state
    return served, RequestLimits(fastapi, limits_for(settings))


def token(**claims: Any) -> str:
    return jwt.encode({"iss": SERVICE_ID, "iat": int(time.time()), **claims}, SECRET, algorithm="HS256")


SMS = {
    "phone_number": "07700900123",
    "template_id": TEMPLATE_ID,
    "personalisation": {"name": "Ada", "code": 1},
}
REQUESTS: list[tuple[str, bytes | dict[str, Any], dict[str, str] | None]] = [
    ("sms", SMS, None),
    ("sms", {**SMS, "reference": "ref-1"}, None),
    ("sms", b'{"phone_number": ', None),
    ("sms", b"[]", None),
    ("sms", {"template_id": TEMPLATE_ID}, None),
    ("sms", {**SMS, "phone_number": "12"}, None),
    ("sms", {**SMS, "personalisation": {"name": "Ada"}}, None),
    ("sms", {**SMS, "template_id": str(uuid.uuid4())}, None),
    ("sms", {**SMS, "template_id": "not-a-uuid"}, None),
    ("sms", {**SMS, "padding": "x" * 4096}, None),
    ("sms", SMS, {}),
    ("sms", SMS, {"Authorization": "Basic abc"}),
    ("sms", SMS, {"Authorization": "Bearer not-a-jwt"}),
    ("sms", SMS, {"Authorization": "Bearer " + "x" * 4096}),
    ("sms", SMS, {"Authorization": f"Bearer {jwt.encode({'iss': SERVICE_ID, 'iat': 1}, SECRET, 'HS256')}"}),
    ("email", {"email_address": "a@example.gov.uk", "template_id": TEMPLATE_ID}, None),
    ("email", {"email_address": "not an address", "template_id": TEMPLATE_ID}, None),
]


async def answer(app: Any, channel: str, body: bytes | dict[str, Any], headers: dict[str, str] | None) -> Any:
    sent = {"Authorization": f"Bearer {token()}"} if headers is None else headers
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        path = f"/v2/notifications/{channel}"
        if isinstance(body, bytes):
            return await client.post(path, content=body, headers=sent)
        return await client.post(path, json=body, headers=sent)


def comparable(response: httpx.Response) -> tuple[int, dict[str, str], str]:
    text = response.text
    if response.status_code == 201:
        text = text.replace(response.json()["id"], "<id>")
    return response.status_code, dict(response.headers), text


@pytest.mark.asyncio
@pytest.mark.parametrize(("channel", "body", "headers"), REQUESTS)
async def test_the_hot_route_answers_as_the_framework_does(
    channel: str, body: bytes | dict[str, Any], headers: dict[str, str] | None
) -> None:
    served, through_fastapi = apps()
    hot = await answer(served, channel, body, headers)
    slow = await answer(through_fastapi, channel, body, headers)
    assert comparable(hot) == comparable(slow)
    if hot.status_code != 201:
        assert set(hot.json()) == {"status_code", "errors"}
