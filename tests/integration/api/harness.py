"""Runs the api-gateway in this process (uvicorn on a free port, in a thread) against the test
run's database, topics, Redis and moto, and sets up services through its admin API."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import uvicorn
from aiokafka import AIOKafkaConsumer

from notify_api_gateway.app import create_asgi_app
from notify_api_gateway.settings import ApiSettings
from notify_common import codec
from notify_common.events import Event
from tests.support import env

ADMIN_TOKEN = "integration-admin-token-0123456789"


def api_settings(**overrides: Any) -> ApiSettings:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    values: dict[str, Any] = {
        "database_url": env.DATABASE_URL,
        "kafka_bootstrap_servers": env.KAFKA,
        "kafka_topic_prefix": env.TOPIC_PREFIX,
        "redis_url": env.REDIS_URL,
        "aws_endpoint_url": env.MOTO_URL,
        "admin_api_token": ADMIN_TOKEN,
        "letters_bucket": f"letters-{env.RUN_ID}",
        "scheduler_interval_seconds": 0.2,
        "config_cache_seconds": 0.0,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return ApiSettings(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_api(settings: ApiSettings) -> Iterator[str]:
    port = free_port()
    if not {"api_base_url", "public_url_root"} & settings.model_fields_set:
        # Links in responses come from the configured URL only: here, where this test server is.
        settings = settings.model_copy(update={"api_base_url": f"http://127.0.0.1:{port}"})
    config = uvicorn.Config(
        create_asgi_app(settings),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the api-gateway did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def token(service_id: str, secret: str, iat: float | None = None) -> str:
    return jwt.encode({"iss": service_id, "iat": int(time.time() if iat is None else iat)}, secret, "HS256")


@dataclass
class Sandbox:
    """A service made through the admin API, with a key of each type and a template per channel."""

    url: str
    service_id: str
    keys: dict[str, str] = field(default_factory=dict)  # key type -> combined key
    templates: dict[str, str] = field(default_factory=dict)  # channel -> template id

    def secret(self, key_type: str = "normal") -> str:
        return self.keys[key_type][-36:]

    def headers(self, key_type: str = "normal", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.service_id, self.secret(key_type))}", **extra}

    def post(self, path: str, body: Any, key_type: str = "normal", **headers: str) -> httpx.Response:
        return httpx.post(
            f"{self.url}{path}", json=body, headers=self.headers(key_type, **headers), timeout=30
        )

    def get(self, path: str, key_type: str = "normal", **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, headers=self.headers(key_type), timeout=30)


def admin(url: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method,
        f"{url}/admin{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert response.status_code < 300, response.text
    return response.json()["data"]


SMS_TEMPLATE = "Hello ((name)), your code is ((code))"
EMAIL_SUBJECT = "Hello ((name))"
EMAIL_TEMPLATE = "# Welcome\n\nDear ((name)),\n\n((items))\n\nSee https://example.org"
LETTER_TEMPLATE = "Dear ((name)),\n\nThis is your letter."


def make_sandbox(url: str, *, live: bool = True, **service: Any) -> Sandbox:
    body = {
        "name": f"svc-{uuid.uuid4().hex[:10]}",
        "email_from": "test.service",
        "live": live,
        "permissions": ["sms", "email", "letter"],
        **service,
    }
    created = admin(url, "POST", "/services", body)
    sandbox = Sandbox(url=url, service_id=created["id"])
    for key_type in ("normal", "team", "test") if live else ("team", "test"):
        key = admin(
            url,
            "POST",
            f"/services/{sandbox.service_id}/api-keys",
            {"name": f"{key_type} key", "key_type": key_type},
        )
        sandbox.keys[key_type] = key["key"]
    templates = {
        "sms": {"name": "sms", "template_type": "sms", "content": SMS_TEMPLATE},
        "email": {
            "name": "email",
            "template_type": "email",
            "content": EMAIL_TEMPLATE,
            "subject": EMAIL_SUBJECT,
        },
        "letter": {
            "name": "letter",
            "template_type": "letter",
            "content": LETTER_TEMPLATE,
            "subject": "Your letter",
        },
    }
    for channel, template in templates.items():
        sandbox.templates[channel] = admin(
            url, "POST", f"/services/{sandbox.service_id}/templates", template
        )["id"]
    return sandbox


async def read_events(
    settings: ApiSettings, topic: str, wanted: set[str], timeout: float = 20.0
) -> list[Event]:
    """The events on ``topic`` (logical name) whose notification ids are in ``wanted``."""
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: dict[str, Event] = {}
    try:
        deadline = time.monotonic() + timeout
        while len(found) < len(wanted) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = codec.decode(record.value)
                    if event.notification_id in wanted:
                        found[event.notification_id] = event
    finally:
        await consumer.stop()
    return list(found.values())


def events_on(settings: ApiSettings, topic: str, wanted: set[str], timeout: float = 20.0) -> list[Event]:
    return asyncio.run(read_events(settings, topic, wanted, timeout))
