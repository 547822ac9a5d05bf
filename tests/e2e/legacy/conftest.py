"""What the legacy end-to-end tests need beside the running platform: services set up the way an
operator would (``AdminStore`` and ``LegacyConfig`` against the platform's database, as
``notify-admin`` does), and small HTTP clients that speak the alpha and the beta."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import jwt
import orjson
import pytest

from notify_admin_api.legacy_config import LegacyConfig
from notify_admin_api.settings import AdminApiSettings
from notify_admin_api.store import AdminStore
from notify_api_gateway.legacy.signing import SignedRequest
from notify_common.db import create_engine
from notify_common.secrets import SecretBox
from tests.e2e.conftest import Platform
from tests.support import env
from tests.support.beta_tokens import create_token

T = TypeVar("T")


def with_stores(call: Callable[[AdminStore, LegacyConfig], Awaitable[T]]) -> T:
    async def run() -> T:
        settings = AdminApiSettings(database_url=env.DATABASE_URL)
        engine = create_engine(settings, pool_size=1)
        try:
            return await call(
                AdminStore(engine, SecretBox(settings.secret_key.get_secret_value())), LegacyConfig(engine)
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


@dataclass
class LegacyService:
    """A service with the alpha and beta switches as asked, an alpha token and a v2 key."""

    url: str
    service_id: str
    alpha_token: str
    api_key: str  # combined v2 key; its last 36 characters are the secret

    @property
    def secret(self) -> str:
        return self.api_key[-36:]

    def alpha(
        self, channel: str, body: Any, token: str | None = None, raw: bytes | None = None
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token or self.alpha_token}"}
        content = raw if raw is not None else orjson.dumps(body)
        return httpx.post(f"{self.url}/{channel}/notification", content=content, headers=headers, timeout=30)

    def beta(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        signed_as: SignedRequest | None = None,
        query: str = "",
    ) -> httpx.Response:
        content = orjson.dumps(body) if body is not None else b""
        signed = signed_as or SignedRequest(method, path, content)
        token = create_token(self.service_id, self.secret, signed)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        url = f"{self.url}{path}{query}"
        return httpx.request(method, url, content=content or None, headers=headers, timeout=30)

    def v2(self, path: str, **params: Any) -> httpx.Response:
        token = jwt.encode({"iss": self.service_id, "iat": int(time.time())}, self.secret, "HS256")
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=30)


def make_service(
    platform: Platform, *, alpha: bool, beta: bool, sms_template: bool = False, **limits: Any
) -> tuple[LegacyService, str | None]:
    async def setup(admin: AdminStore, legacy: LegacyConfig) -> tuple[LegacyService, str | None]:
        service_id = await admin.create_service(
            f"legacy-{uuid.uuid4().hex[:10]}", live=True, email_from="legacy.service", **limits
        )
        key = await admin.create_api_key(service_id, "v2 key", "normal")
        await legacy.set_switches(service_id, alpha=alpha, beta=beta)
        issued = await legacy.issue_token(service_id, "alpha token")
        template_id = None
        if sms_template:
            template_id = await admin.create_template(
                service_id, name="beta sms", template_type="sms", content="Hello ((name))"
            )
        return LegacyService(platform.api_url, service_id, issued.token, key.combined), template_id

    return with_stores(setup)


@pytest.fixture(scope="module")
def both(platform: Platform) -> tuple[LegacyService, str | None]:
    """A live service with both generations on and an SMS template."""
    return make_service(platform, alpha=True, beta=True, sms_template=True)


def until(check: Callable[[], T], timeout: float = 45.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def beta_notification_when(service: LegacyService, notification_id: str, status: str) -> dict[str, Any]:
    """The notification as the beta reads it, once it shows ``status`` (or as last read)."""
    last: dict[str, Any] = {}

    def check() -> bool:
        nonlocal last
        last = service.beta("GET", f"/notifications/{notification_id}").json()["data"]["notification"]
        return bool(last["status"] == status)

    until(check)
    return last
