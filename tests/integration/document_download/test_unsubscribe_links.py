"""The hosted unsubscribe link end to end on the real database and broker: a template with "Add an
unsubscribe link" (admin API), the send carrying it (api-gateway), the page and the one-click POST on
document-download, and the projector recording the request once with the recipient's address. A
forged token, or one made for another email, answers 404 and publishes nothing; a link on the
api-gateway's host (as emails sent before the pages moved have) reaches document-download; while
Kafka does not answer, a request is refused promptly with a 503 and Retry-After."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aiokafka.client
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text

from notify_api_gateway.settings import ApiSettings
from notify_common import codec, topics
from notify_common.db import create_engine
from notify_common.events import EmailRequested, Event, UnsubscribeRequested
from notify_common.unsubscribe import UnsubscribeLinks
from notify_projector.projection import project
from tests.integration.api_gateway.harness import (
    ADMIN_TOKEN,
    Sandbox,
    admin,
    api_settings,
    events_on,
    make_sandbox,
    running_api,
)
from tests.integration.document_download.harness import running_document_download
from tests.support import env
from tests.support.proxy import TcpProxy

ADDRESS = "Ada.Lovelace@Example.com"


@pytest.fixture(scope="module")
def download_url(database: str, kafka_topics: str) -> Iterator[str]:
    with running_document_download(f"documents-unsubscribe-{env.RUN_ID}") as url:
        yield url


@pytest.fixture(scope="module")
def gateway_settings(download_url: str) -> ApiSettings:
    return api_settings(document_download_url=download_url)


@pytest.fixture(scope="module")
def api_url(gateway_settings: ApiSettings) -> Iterator[str]:
    with running_api(gateway_settings) as url:
        yield url


@pytest.fixture
def sandbox(api_url: str) -> Sandbox:
    return make_sandbox(api_url)


def links(settings: ApiSettings) -> UnsubscribeLinks:
    return UnsubscribeLinks(settings.secret_key.get_secret_value())


async def _read(settings: ApiSettings, topic: str, nid: str, quiet: float) -> list[Event]:
    """Every event about ``nid`` on ``topic``, once ``quiet`` seconds passed with nothing new."""
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[Event] = []
    try:
        last = time.monotonic()
        while time.monotonic() - last < quiet:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    last = time.monotonic()
                    event = codec.decode(record.value)
                    if event.notification_id == nid:
                        found.append(event)
    finally:
        await consumer.stop()
    return found


def requests_on_the_topic(settings: ApiSettings, nid: str, quiet: float = 3.0) -> list[Event]:
    return asyncio.run(_read(settings, topics.UNSUBSCRIBE_REQUESTS, nid, quiet))


async def _project(settings: ApiSettings, events: list[Event]) -> None:
    engine = create_engine(settings, pool_size=1)
    try:
        await project(engine, events)
    finally:
        await engine.dispose()


async def _recorded(settings: ApiSettings, nid: str) -> list[dict[str, Any]]:
    engine = create_engine(settings, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT * FROM unsubscribe_requests WHERE notification_id = CAST(:id AS uuid)"),
                {"id": nid},
            )
            return [dict(r) for r in rows.mappings()]
    finally:
        await engine.dispose()


def recorded(settings: ApiSettings, nid: str) -> list[dict[str, Any]]:
    return asyncio.run(_recorded(settings, nid))


def template_with_link(api_url: str, sandbox: Sandbox) -> str:
    body = {
        "name": "newsletter",
        "template_type": "email",
        "subject": "News",
        "content": "Hello ((name))",
        "has_unsubscribe_link": True,
    }
    template_id: str = admin(api_url, "POST", f"/services/{sandbox.service_id}/templates", body)["id"]
    return template_id


def sent_and_projected(api_url: str, sandbox: Sandbox, settings: ApiSettings) -> str:
    """An email from a template with the link, its request projected as the projector would."""
    template_id = template_with_link(api_url, sandbox)
    sent = sandbox.post(
        "/v2/notifications/email",
        {"email_address": ADDRESS, "template_id": template_id, "personalisation": {"name": "Ada"}},
    )
    assert sent.status_code == 201, sent.text
    nid: str = sent.json()["id"]
    [request] = events_on(settings, topics.EMAIL_REQUESTED, {nid})
    assert isinstance(request, EmailRequested)
    assert request.has_unsubscribe_link
    asyncio.run(_project(settings, [request]))
    return nid


@pytest.fixture
def email(api_url: str, sandbox: Sandbox, gateway_settings: ApiSettings) -> str:
    return sent_and_projected(api_url, sandbox, gateway_settings)


def test_the_admin_api_keeps_the_flag_per_version_and_refuses_it_on_a_text_template(
    api_url: str, sandbox: Sandbox
) -> None:
    path = f"/services/{sandbox.service_id}/templates"
    template_id = template_with_link(api_url, sandbox)
    admin(api_url, "PATCH", f"{path}/{template_id}", {"has_unsubscribe_link": False})
    versions = admin(api_url, "GET", f"{path}/{template_id}/versions")
    assert [v["has_unsubscribe_link"] for v in versions] == [True, False]
    refused = httpx.post(
        f"{sandbox.admin_url}/admin{path}",
        json={"name": "t", "template_type": "sms", "content": "Hi", "has_unsubscribe_link": True},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"error": "AdminError", "message": "has_unsubscribe_link is only for email templates"}
    ]


def test_the_link_opens_a_page_whose_button_posts_to_the_same_link(
    download_url: str, gateway_settings: ApiSettings, email: str
) -> None:
    path = f"/unsubscribe/{email}/{links(gateway_settings).token(email)}"
    page = httpx.get(f"{download_url}{path}", timeout=30)
    assert page.status_code == 200
    assert "<h1>Are you sure you want to unsubscribe?</h1>" in page.text
    assert f'<form method="post" action="{path}"><button type="submit">Confirm</button></form>' in page.text
    assert ADDRESS.lower() not in page.text.lower()


def test_a_request_is_recorded_once_with_the_address_however_often_it_is_posted(
    download_url: str, gateway_settings: ApiSettings, email: str
) -> None:
    url = f"{download_url}/unsubscribe/{email}/{links(gateway_settings).token(email)}"
    one_click = httpx.post(url, data={"List-Unsubscribe": "One-Click"}, timeout=30)
    assert one_click.status_code == 200
    assert one_click.json() == {"result": "success", "message": "Unsubscribe successful"}
    from_page = httpx.post(url, headers={"Accept": "text/html"}, timeout=30)
    assert from_page.status_code == 303
    assert from_page.headers["location"] == "/unsubscribe/confirmed"
    events = requests_on_the_topic(gateway_settings, email)
    assert [type(e) for e in events] == [UnsubscribeRequested, UnsubscribeRequested]
    asyncio.run(_project(gateway_settings, events))
    asyncio.run(_project(gateway_settings, events))  # redelivered
    [row] = recorded(gateway_settings, email)
    assert row["email_address"] == ADDRESS
    assert row["requested_at"] == min(e.requested_at for e in events if isinstance(e, UnsubscribeRequested))
    assert row["template_version"] == 1


@pytest.mark.parametrize("forgery", ["made-up", "another-emails-token"])
def test_a_forged_token_is_404_and_records_nothing(
    download_url: str, gateway_settings: ApiSettings, email: str, forgery: str
) -> None:
    token = "A" * 43 if forgery == "made-up" else links(gateway_settings).token(str(uuid.uuid4()))
    url = f"{download_url}/unsubscribe/{email}/{token}"
    answer = httpx.post(url, timeout=30)
    assert answer.status_code == 404
    assert answer.json() == {
        "status_code": 404,
        "errors": [{"error": "InvalidRequest", "message": "This is not a valid unsubscribe link."}],
    }
    page = httpx.get(url, timeout=30)
    assert page.status_code == 404
    assert "We could not unsubscribe you from these emails." in page.text
    assert requests_on_the_topic(gateway_settings, email) == []
    assert recorded(gateway_settings, email) == []


def test_a_genuine_link_to_an_email_the_platform_no_longer_holds_is_404(
    download_url: str, gateway_settings: ApiSettings
) -> None:
    gone = str(uuid.uuid4())
    answer = httpx.post(
        f"{download_url}/unsubscribe/{gone}/{links(gateway_settings).token(gone)}", timeout=30
    )
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["message"] == "This unsubscribe link is invalid or expired."


def test_a_link_on_the_api_host_as_older_emails_have_reaches_document_download(
    api_url: str, download_url: str, gateway_settings: ApiSettings, email: str
) -> None:
    path = f"/unsubscribe/{email}/{links(gateway_settings).token(email)}"
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        page = client.get(f"{api_url}{path}")
        assert str(page.url) == f"{download_url}{path}"
        assert "<h1>Are you sure you want to unsubscribe?</h1>" in page.text
        posted = client.post(f"{api_url}{path}", data={"List-Unsubscribe": "One-Click"})
    assert posted.json() == {"result": "success", "message": "Unsubscribe successful"}
    assert [type(e) for e in requests_on_the_topic(gateway_settings, email)] == [UnsubscribeRequested]


@pytest.fixture
def kafka_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    """The broker behind a proxy the test can pause. Kafka clients connect to the brokers the
    cluster names, so this process's broker connections are routed through the proxy too."""
    host, _, port = env.KAFKA.rpartition(":")
    proxy = TcpProxy(host, int(port)).start()
    original = aiokafka.client.create_conn

    async def through_proxy(host: str, port: int, **kw: Any) -> Any:
        if port == proxy.target[1]:
            host, port = "127.0.0.1", proxy.port
        return await original(host, port, **kw)

    monkeypatch.setattr(aiokafka.client, "create_conn", through_proxy)
    try:
        yield proxy
    finally:
        proxy.stop()


def test_while_kafka_does_not_answer_a_request_is_answered_503_with_retry_after(
    gateway_settings: ApiSettings, email: str, kafka_proxy: TcpProxy
) -> None:
    bucket = f"documents-unsubscribe-{env.RUN_ID}"
    with running_document_download(
        bucket, kafka_bootstrap_servers=kafka_proxy.address, kafka_ack_timeout_seconds=1.0
    ) as url:
        link = f"{url}/unsubscribe/{email}/{links(gateway_settings).token(email)}"
        try:
            kafka_proxy.pause()  # away from the start: the producer cannot start
            before_start = httpx.post(link, timeout=20)
            kafka_proxy.resume()
            taken = httpx.post(link, timeout=20)
            kafka_proxy.pause()  # away once started: the acknowledgement never comes
            unacknowledged = httpx.post(link, headers={"Accept": "text/html"}, timeout=20)
        finally:
            kafka_proxy.resume()
    assert before_start.status_code == 503
    assert before_start.headers["Retry-After"] == "5"
    assert before_start.json()["errors"] == [
        {
            "error": "ServiceUnavailableError",
            "message": "Unsubscribe requests cannot be taken right now. Try again later",
        }
    ]
    assert taken.json() == {"result": "success", "message": "Unsubscribe successful"}
    assert unacknowledged.status_code == 503
    assert unacknowledged.headers["Retry-After"] == "30"
    assert "Sorry, there is a problem with the service" in unacknowledged.text
