"""Nobody but the provider can post its receipts or inbound texts: without the provider's
credentials a receipt changes nothing, a receipt for a notification the provider was never given
creates nothing, and an endpoint whose credentials are not configured refuses everything."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.settings import CommonSettings
from notify_receipts.app import served_app
from notify_receipts.settings import ReceiptsSettings
from tests.integration.receipts.test_receipts import (
    CREDENTIALS,
    INBOUND,
    TOKENS,
    sent_notification,
    status_of,
)
from tests.support.lifecycle import add_inbound_number, add_service, read_topic


async def client_for(settings: ReceiptsSettings) -> AsyncIterator[httpx.AsyncClient]:
    served = served_app(settings)
    app = served.app
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://receipts") as client,
    ):
        yield client


@pytest.fixture
async def receipts(kafka: CommonSettings, database: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(ReceiptsSettings(**{**kafka.model_dump(), **CREDENTIALS})):
        yield client


@pytest.fixture
async def unconfigured(kafka: CommonSettings, database: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(ReceiptsSettings(**kafka.model_dump())):
        yield client


def mmg_receipt(nid: str, status: str = "5", substatus: str = "2") -> dict[str, str]:
    return {"CID": nid, "status": status, "substatus": substatus}


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"params": {"token": "guess"}},
        {"params": {"token": TOKENS["firetext"]}},  # another provider's token
        {"auth": ("mmg", "guess")},
    ],
)
async def test_a_forged_mmg_receipt_is_refused_and_changes_nothing(
    engine: AsyncEngine, receipts: httpx.AsyncClient, kafka: CommonSettings, auth: dict[str, Any]
) -> None:
    nid, _ = await sent_notification(engine, "sms", provider="mmg")
    response = await receipts.post("/notifications/sms/mmg", json=mmg_receipt(nid), **auth)
    assert response.status_code == 401
    assert await read_topic(kafka, topics.NOTIFICATION_STATUS, timeout=1.0) == []
    assert await status_of(engine, nid) == "sending"


async def test_the_token_may_come_as_the_basic_auth_password(
    engine: AsyncEngine, receipts: httpx.AsyncClient
) -> None:
    nid, _ = await sent_notification(engine, "sms", provider="mmg")
    response = await receipts.post(
        "/notifications/sms/mmg", json=mmg_receipt(nid, "3", "2"), auth=("mmg", TOKENS["mmg"])
    )
    assert response.status_code == 200


async def test_a_receipt_for_an_id_never_sent_is_refused_and_creates_no_row(
    engine: AsyncEngine, receipts: httpx.AsyncClient, kafka: CommonSettings
) -> None:
    nid = str(uuid.uuid4())
    response = await receipts.post(
        "/notifications/sms/mmg", json=mmg_receipt(nid), params={"token": TOKENS["mmg"]}
    )
    assert response.status_code == 404
    assert await read_topic(kafka, topics.NOTIFICATION_STATUS, timeout=1.0) == []
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT count(*) FROM notifications WHERE id = :id"), {"id": nid})
        assert rows.scalar_one() == 0


async def test_one_provider_cannot_post_receipts_for_another_providers_messages(
    engine: AsyncEngine, receipts: httpx.AsyncClient, kafka: CommonSettings
) -> None:
    nid, _ = await sent_notification(engine, "sms", provider="firetext")
    response = await receipts.post(
        "/notifications/sms/mmg", json=mmg_receipt(nid), params={"token": TOKENS["mmg"]}
    )
    assert response.status_code == 404
    assert await read_topic(kafka, topics.NOTIFICATION_STATUS, timeout=1.0) == []


@pytest.mark.parametrize("provider", ["mmg", "firetext"])
async def test_a_forged_inbound_text_is_refused_and_stored_nowhere(
    engine: AsyncEngine, receipts: httpx.AsyncClient, kafka: CommonSettings, provider: str
) -> None:
    service_id = await add_service(engine)
    number = "0770090" + str(uuid.uuid4().int)[:4]
    await add_inbound_number(engine, service_id, number, provider)
    user, _ = INBOUND[provider]
    path = f"/notifications/sms/receive/{provider}"
    if provider == "mmg":
        body = {"MSISDN": "447700900111", "Number": "44" + number[1:], "Message": "Forged", "ID": "1"}
        response = await receipts.post(path, json=body, auth=(user, "wrong"))
    else:
        body = {"source": "447700900111", "destination": "44" + number[1:], "message": "Forged"}
        response = await receipts.post(path, data=body, auth=(user, "wrong"))
    assert response.status_code == 401
    assert await read_topic(kafka, topics.INBOUND_SMS, timeout=1.0) == []


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/notifications/sms/mmg", {"json": mmg_receipt(str(uuid.uuid4()))}),
        ("/notifications/sms/firetext", {"data": {"reference": str(uuid.uuid4()), "status": "1"}}),
        (
            "/notifications/sms/receive/mmg",
            {"json": {"MSISDN": "447700900111", "Number": "1", "Message": "x"}},
        ),
        (
            "/notifications/sms/receive/firetext",
            {"data": {"source": "1", "destination": "2", "message": "x"}},
        ),
        (
            "/notifications/letter/status",
            {"json": {"data": {"jobId": str(uuid.uuid4()), "jobStatus": "REJECTED"}}},
        ),
        ("/notifications/letter/returned", {"json": {"references": [str(uuid.uuid4())]}}),
    ],
)
async def test_without_configured_credentials_every_provider_endpoint_refuses(
    unconfigured: httpx.AsyncClient, kafka: CommonSettings, path: str, kwargs: dict[str, Any]
) -> None:
    response = await unconfigured.post(path, **kwargs, params={"token": ""}, auth=("", ""))
    assert response.status_code == 401
    assert await read_topic(kafka, topics.NOTIFICATION_STATUS, timeout=0.5) == []


async def test_an_address_outside_the_allowlist_is_refused(
    engine: AsyncEngine, kafka: CommonSettings, database: str
) -> None:
    settings = ReceiptsSettings(
        **{**kafka.model_dump(), **CREDENTIALS}, receipts_allowed_networks="10.0.0.0/8"
    )
    nid, _ = await sent_notification(engine, "sms", provider="mmg")
    async for client in client_for(settings):
        response = await client.post(
            "/notifications/sms/mmg", json=mmg_receipt(nid), params={"token": TOKENS["mmg"]}
        )
        assert response.status_code == 403
