"""The api-gateway when Kafka, PostgreSQL or Redis is unavailable: it answers within its bounds
(a 503 in Notify's error shape with Retry-After, never a 500 and never a hang), keeps accepting
sends from cached configuration while PostgreSQL is away, keeps the limits while Redis is away,
and works as before once the dependency is back.

Each dependency is reached through a ``TcpProxy`` the test pauses (connections hang, as when the
server is frozen) or closes (connections refused); the shared servers are never touched. Kafka
clients connect to the brokers the cluster names, so this module's gateway (in this process) has
its broker connections routed through the proxy too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aiokafka.client
import httpx
import pytest
import redis

from notify_api_gateway.settings import ApiSettings
from notify_common import codec, topics
from notify_common.ratelimit import Limiter
from tests.integration.api_gateway.harness import (
    ADMIN_TOKEN,
    Sandbox,
    admin,
    admin_settings,
    admin_url_of,
    api_settings,
    events_on,
    make_sandbox,
    running_api,
    token,
)
from tests.support import env
from tests.support.proxy import TcpProxy

DB_BOUND, REDIS_BOUND, KAFKA_BOUND = 1.0, 0.5, 2.0
# "Answered promptly": within a generous multiple of the bound (today's unbounded waits are 20 s+).
PROMPT = 8.0


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


class Proxies:
    def __init__(self) -> None:
        self.pg = TcpProxy("127.0.0.1", int(env.PG_PORT)).start()
        self.redis = TcpProxy(*_host_port(env.REDIS_URL.split("//", 1)[1].split("/", 1)[0])).start()
        self.kafka = TcpProxy(*_host_port(env.KAFKA)).start()

    def all(self) -> list[TcpProxy]:
        return [self.pg, self.redis, self.kafka]


@pytest.fixture(scope="module")
def proxies() -> Iterator[Proxies]:
    made = Proxies()
    kafka_port = made.kafka.target[1]
    original = aiokafka.client.create_conn

    async def through_proxy(host: str, port: int, **kw: Any) -> Any:
        if port == kafka_port:
            host, port = "127.0.0.1", made.kafka.port
        return await original(host, port, **kw)

    aiokafka.client.create_conn = through_proxy
    try:
        yield made
    finally:
        aiokafka.client.create_conn = original
        for proxy in made.all():
            proxy.stop()


@pytest.fixture(scope="module")
def settings_through(proxies: Proxies, database: str, kafka_topics: str) -> ApiSettings:
    redis_db = env.REDIS_URL.rsplit("/", 1)[1]
    return api_settings(
        database_url=f"postgresql+psycopg://notify@{proxies.pg.address}/{env.TEST_DB}",
        redis_url=f"redis://{proxies.redis.address}/{redis_db}",
        kafka_bootstrap_servers=proxies.kafka.address,
        database_timeout_seconds=DB_BOUND,
        redis_timeout_seconds=REDIS_BOUND,
        kafka_ack_timeout_seconds=KAFKA_BOUND,
    )


@pytest.fixture(scope="module")
def url(settings_through: ApiSettings) -> Iterator[str]:
    # The admin-api beside it reaches PostgreSQL through the same proxy, with the same bound.
    admin = admin_settings(
        database_url=settings_through.database_url,
        database_timeout_seconds=settings_through.database_timeout_seconds,
    )
    with running_api(settings_through, admin) as running:
        yield running


@pytest.fixture(autouse=True)
def dependencies_back(proxies: Proxies) -> Iterator[None]:
    yield
    for proxy in proxies.all():
        proxy.restore()


def _sms(sandbox: Sandbox, **headers: str) -> tuple[httpx.Response, float]:
    body = {
        "phone_number": "07700900123",
        "template_id": sandbox.templates["sms"],
        "personalisation": {"name": "Ada", "code": "1"},
    }
    started = time.monotonic()
    response = sandbox.post("/v2/notifications/sms", body, **headers)
    return response, time.monotonic() - started


def _timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status_code"] == 503
    assert [e["error"] for e in body["errors"]] == ["ServiceUnavailableError"]
    assert body["errors"][0]["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert elapsed < PROMPT


async def _service_events(settings: ApiSettings, topic: str, service_id: str) -> list[Any]:
    """Every event of ``service_id`` on ``topic`` (logical name) up to the topic's current end."""
    consumer = aiokafka.AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic,
        bootstrap_servers=env.KAFKA,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found = []
    try:
        partitions = consumer.assignment()
        while not partitions:
            await asyncio.sleep(0.1)
            partitions = consumer.assignment()
        ends = await consumer.end_offsets(list(partitions))
        while [p for p, end in ends.items() if await consumer.position(p) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = codec.decode(record.value)
                    if event.service_id == service_id:
                        found.append(event)
    finally:
        await consumer.stop()
    return found


def test_a_send_kafka_does_not_acknowledge_is_answered_503_and_its_retry_is_sent_once(
    url: str, proxies: Proxies, settings_through: ApiSettings
) -> None:
    sandbox = make_sandbox(url)
    key = str(uuid.uuid4())
    proxies.kafka.pause()
    response, elapsed = _sms(sandbox, **{"Idempotency-Key": key})
    _assert_unavailable(response, elapsed)
    assert "Idempotency-Key" in response.json()["errors"][0]["message"]
    # Kafka is now taken to be unavailable: the next send is refused at once, and not handed over.
    keyless, elapsed = _sms(sandbox)
    _assert_unavailable(keyless, elapsed)
    assert (
        keyless.json()["errors"][0]["message"]
        == "Notifications cannot be accepted right now. Try again later"
    )
    proxies.kafka.resume()
    # The unacknowledged send may still be written: the key answers 409 until that is known,
    # then the send's own 201 (written) or a fresh send (not written); never a second notification.
    deadline = time.monotonic() + 60
    while True:
        retry, _ = _sms(sandbox, **{"Idempotency-Key": key})
        if retry.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert retry.status_code == 201, retry.text
    events = asyncio.run(_service_events(settings_through, topics.requested_topic("sms"), sandbox.service_id))
    assert [e.notification_id for e in events] == [retry.json()["id"]]
    fresh, _ = _sms(sandbox)
    assert fresh.status_code == 201, fresh.text


def test_sends_are_accepted_from_cached_configuration_while_postgresql_hangs_and_reads_answer_503(
    url: str, proxies: Proxies, settings_through: ApiSettings
) -> None:
    sandbox = make_sandbox(url)
    warm, _ = _sms(sandbox)
    assert warm.status_code == 201, warm.text
    proxies.pg.pause()
    sent, elapsed = _sms(sandbox)
    assert sent.status_code == 201, sent.text
    assert elapsed < PROMPT
    notification_id = sent.json()["id"]
    [event] = events_on(settings_through, topics.requested_topic("sms"), {notification_id})
    assert event.service_id == sandbox.service_id

    listed, elapsed = _timed(lambda: sandbox.get("/v2/notifications"))
    _assert_unavailable(listed, elapsed)
    templates_read, elapsed = _timed(lambda: sandbox.get(f"/v2/template/{sandbox.templates['email']}"))
    _assert_unavailable(templates_read, elapsed)
    admin_read, elapsed = _timed(
        lambda: httpx.get(
            f"{admin_url_of(url)}/admin/services/{sandbox.service_id}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )
    )
    _assert_unavailable(admin_read, elapsed)
    admin_write, elapsed = _timed(
        lambda: httpx.post(
            f"{admin_url_of(url)}/admin/services/{sandbox.service_id}/templates",
            json={"name": "later", "template_type": "sms", "content": "Hello"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )
    )
    _assert_unavailable(admin_write, elapsed)
    # A service whose configuration this process never loaded is not guessed at.
    unknown = str(uuid.uuid4())
    stranger, elapsed = _timed(
        lambda: httpx.get(
            f"{url}/v2/notifications",
            headers={"Authorization": f"Bearer {token(unknown, 'x' * 36)}"},
            timeout=30,
        )
    )
    _assert_unavailable(stranger, elapsed)

    proxies.pg.resume()
    assert sandbox.get("/v2/notifications").status_code == 200
    assert admin(url, "GET", f"/services/{sandbox.service_id}")["id"] == sandbox.service_id


def test_postgresql_refusing_connections_is_answered_503_not_500_and_recovers(
    url: str, proxies: Proxies
) -> None:
    sandbox = make_sandbox(url)
    proxies.pg.refuse()
    for path in ("/v2/notifications", "/v2/templates"):
        response, elapsed = _timed(lambda p=path: sandbox.get(p))
        _assert_unavailable(response, elapsed)
    # The legacy beta API answers in its own shape.
    legacy, elapsed = _timed(lambda: sandbox.get("/notifications"))
    assert legacy.status_code == 503, legacy.text
    assert legacy.json()["result"] == "error"
    assert int(legacy.headers["Retry-After"]) > 0
    assert elapsed < PROMPT
    bulk, elapsed = _timed(
        lambda: httpx.post(
            f"{url}/v2/notifications/bulk",
            json={"name": "x", "template_id": sandbox.templates["sms"], "csv": "phone number\n07700900123"},
            headers=sandbox.headers(),
            timeout=30,
        )
    )
    _assert_unavailable(bulk, elapsed)  # this process never loaded the service's configuration
    proxies.pg.restore()
    assert sandbox.get("/v2/notifications").status_code == 200


def _daily_count(service_id: str) -> int:
    client = redis.Redis.from_url(env.REDIS_URL)
    try:
        keys = client.keys(Limiter.daily_key(service_id, "sms", "normal", "*"))
        return sum(int(client.get(k) or 0) for k in keys)
    finally:
        client.close()


def test_the_rate_limit_holds_while_redis_hangs(url: str, proxies: Proxies) -> None:
    sandbox = make_sandbox(url, rate_limit=3)  # a bucket of 2 sends
    proxies.redis.pause()
    answers = [_sms(sandbox) for _ in range(3)]
    assert all(elapsed < PROMPT for _, elapsed in answers)
    assert [r.status_code for r, _ in answers] == [201, 201, 429]
    assert answers[2][0].json()["errors"][0]["error"] == "RateLimitError"


def test_daily_limits_hold_while_redis_hangs_and_the_count_reaches_redis_when_it_returns(
    url: str, proxies: Proxies
) -> None:
    sandbox = make_sandbox(url, sms_message_limit=3)
    first, _ = _sms(sandbox)
    assert first.status_code == 201, first.text
    proxies.redis.pause()
    answers = [_sms(sandbox)[0] for _ in range(3)]
    assert [r.status_code for r in answers] == [201, 201, 429]
    assert answers[2].json()["errors"][0]["error"] == "TooManyRequestsError"
    proxies.redis.resume()
    deadline = time.monotonic() + 30
    while True:
        after, _ = _sms(sandbox)
        if _daily_count(sandbox.service_id) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert after.status_code == 429, after.text
    # The sends counted in the process reached Redis. A command that timed out while Redis hung
    # may also have run when it came back: the count may be one higher, never lower.
    assert _daily_count(sandbox.service_id) in (3, 4)
