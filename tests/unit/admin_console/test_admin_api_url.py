"""The console manages through the admin-api (``NOTIFY_ADMIN_API_URL``) and sends through the public
API (``NOTIFY_API_BASE_URL``), as any client of a service does."""

from __future__ import annotations

import asyncio

import httpx
from pydantic import SecretStr

from notify_admin_console.api import AdminApi
from notify_admin_console.app import create_app
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.test_permissions import SECRET

KEY = "console-" + "1" * 36 + "-" + "2" * 36


def test_the_console_reaches_the_admin_api_on_port_6028_unless_told_otherwise() -> None:
    assert ConsoleSettings().admin_api_url == "http://127.0.0.1:6028"
    settings = ConsoleSettings(
        admin_api_token=SecretStr("t"),
        console_secret_key=SecretStr(SECRET),
        admin_api_url="http://admin-api.internal:6028",
        api_base_url="http://api-gateway.internal:6011",
    )
    api = create_app(settings).state.api
    assert str(api.client.base_url) == "http://admin-api.internal:6028"
    assert str(api.public.base_url) == "http://api-gateway.internal:6011"


def test_management_calls_go_to_the_admin_api_and_sends_to_the_public_api() -> None:
    seen: list[tuple[str, str, str]] = []

    def answer(host: str, body: object) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            seen.append((host, request.url.path, request.headers["authorization"].split()[0]))
            return httpx.Response(200, json=body)

        return httpx.MockTransport(handle)

    async def calls() -> None:
        admin = httpx.AsyncClient(transport=answer("admin-api", {"data": []}), base_url="http://admin")
        public = httpx.AsyncClient(transport=answer("public", {"id": "n1"}), base_url="http://public")
        api = AdminApi(admin, "admin-token", public)
        await api.get("/admin/services")
        await api.send(KEY, "sms", {"phone_number": "07700900123", "template_id": "t"})

    asyncio.run(calls())
    assert seen == [("admin-api", "/admin/services", "Bearer"), ("public", "/v2/notifications/sms", "Bearer")]
