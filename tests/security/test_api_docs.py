"""The api-gateway loads nothing from another origin: its API description is served as
``/openapi.json`` only, with no Swagger UI or ReDoc page pulling scripts from a CDN."""

from __future__ import annotations

import re

import httpx

from notify_api_gateway.app import create_app
from notify_api_gateway.settings import ApiSettings

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


async def test_no_docs_page_loads_anything_from_another_origin() -> None:
    app = create_app(ApiSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            page = await client.get(path)
            assert not EXTERNAL.findall(page.text), path
            assert "cdn." not in page.text
        described = await client.get("/openapi.json")
    assert described.status_code == 200
    assert described.json()["paths"]["/v2/notifications/sms"]
