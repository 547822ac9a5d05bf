"""Runs the api-gateway and the admin-api in this process (uvicorn on free ports, in threads) against
the test run's database, topics, Redis and moto, and sets up services through the admin API."""

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

from notify_admin_api.app import create_asgi_app as create_admin_app
from notify_admin_api.settings import AdminApiSettings
from notify_api_gateway.app import create_asgi_app
from notify_api_gateway.settings import ApiSettings
from notify_common import codec
from notify_common.events import Event
from tests.support import env

ADMIN_TOKEN = "integration-admin-token-0123456789"


# The admin-api each running api-gateway was started with: gateway URL -> admin-api URL.
ADMIN_URLS: dict[str, str] = {}


def backing_services() -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return {
        "database_url": env.DATABASE_URL,
        "kafka_bootstrap_servers": env.KAFKA,
        "kafka_topic_prefix": env.TOPIC_PREFIX,
        "redis_url": env.REDIS_URL,
        "aws_endpoint_url": env.MOTO_URL,
        "log_level": "WARNING",
    }


def admin_settings(**overrides: Any) -> AdminApiSettings:
    return AdminApiSettings(**{**backing_services(), "admin_api_token": ADMIN_TOKEN, **overrides})


def api_settings(**overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        **backing_services(),
        "letters_bucket": f"letters-{env.RUN_ID}",
        "config_cache_seconds": 0.0,
    }
    values.update(overrides)
    return ApiSettings(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(app: Any, port: int, name: str) -> Iterator[str]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def running_admin_api(settings: AdminApiSettings | None = None) -> Iterator[str]:
    with serving(create_admin_app(settings or admin_settings()), free_port(), "admin-api") as url:
        yield url


@contextmanager
def running_api(settings: ApiSettings, admin: AdminApiSettings | None = None) -> Iterator[str]:
    """The api-gateway at the URL yielded, beside an admin-api of its own (``admin_url_of``)."""
    port = free_port()
    if not {"api_base_url", "public_url_root"} & settings.model_fields_set:
        # Links in responses come from the configured URL only: here, where this test server is.
        settings = settings.model_copy(update={"api_base_url": f"http://127.0.0.1:{port}"})
    with (
        running_admin_api(admin) as admin_url,
        serving(create_asgi_app(settings), port, "api-gateway") as url,
    ):
        ADMIN_URLS[url] = admin_url
        try:
            yield url
        finally:
            ADMIN_URLS.pop(url, None)


def admin_url_of(url: str) -> str:
    """The admin-api started beside the api-gateway at ``url`` (``url`` itself if it is not one)."""
    return ADMIN_URLS.get(url, url)


def token(service_id: str, secret: str, iat: float | None = None) -> str:
    return jwt.encode({"iss": service_id, "iat": int(time.time() if iat is None else iat)}, secret, "HS256")


@dataclass
class Sandbox:
    """A service made through the admin API, with a key of each type and a template per channel."""

    url: str
    service_id: str
    admin_url: str = ""
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
    """An admin API call, to the admin-api itself or to the one beside the api-gateway at ``url``."""
    response = httpx.request(
        method,
        f"{admin_url_of(url)}/admin{path}",
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
    sandbox = Sandbox(url=url, service_id=created["id"], admin_url=admin_url_of(url))
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
