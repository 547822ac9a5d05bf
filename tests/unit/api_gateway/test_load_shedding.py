"""Past its bound of requests in flight, the gateway sheds load: a request is answered at once with
a 503 in Notify's error shape and ``Retry-After``, while requests under the bound and the health
routes are served as before."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import REGISTRY
from starlette.types import Receive, Scope, Send

from notify_api_gateway.app import create_asgi_app
from notify_api_gateway.settings import ApiSettings
from notify_common.http_shedding import LoadShedding

BOUND = 3


class SlowApp:
    """Answers every request once ``release`` is set (health routes at once), counting those in
    progress."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] not in ("/healthz", "/readyz"):
            self.waiting += 1
            await self.release.wait()
            self.waiting -= 1
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def shed_count() -> float:
    return REGISTRY.get_sample_value("notify_http_requests_shed_total") or 0.0


async def filled(app: SlowApp, client: httpx.AsyncClient) -> list[asyncio.Task[httpx.Response]]:
    """``BOUND`` sends in progress, held by the app."""
    tasks = [asyncio.create_task(client.post("/v2/notifications/sms", json={})) for _ in range(BOUND)]
    async with asyncio.timeout(5):
        while app.waiting < BOUND:
            await asyncio.sleep(0.001)
    return tasks


def client_of(app: SlowApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=LoadShedding(app, BOUND)), base_url="http://api"
    )


async def test_a_request_past_the_bound_is_answered_at_once_with_a_503_and_retry_after() -> None:
    app = SlowApp()
    async with client_of(app) as client:
        held = await filled(app, client)
        before = shed_count()
        async with asyncio.timeout(2):  # answered while every request under the bound still waits
            answer = await client.post("/v2/notifications/sms", json={})
        assert answer.status_code == 503
        assert answer.json() == {
            "status_code": 503,
            "errors": [
                {
                    "error": "ServiceUnavailableError",
                    "message": "Too many requests are in progress right now. Try again later",
                }
            ],
        }
        assert answer.headers["retry-after"] == "1"
        assert answer.headers["content-type"] == "application/json"
        assert shed_count() == before + 1
        assert app.waiting == BOUND
        app.release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [201] * BOUND


async def test_requests_under_the_bound_are_served_again_once_those_in_progress_finish() -> None:
    app = SlowApp()
    async with client_of(app) as client:
        held = await filled(app, client)
        app.release.set()
        await asyncio.gather(*held)
        before = shed_count()
        answers = await asyncio.gather(*(client.post("/v2/notifications/sms", json={}) for _ in range(BOUND)))
        assert [a.status_code for a in answers] == [201] * BOUND
        assert shed_count() == before


async def test_health_routes_are_not_shed() -> None:
    app = SlowApp()
    async with client_of(app) as client:
        held = await filled(app, client)
        for path in ("/healthz", "/readyz"):
            assert (await client.get(path)).status_code == 201
        app.release.set()
        await asyncio.gather(*held)


def test_the_gateway_is_served_behind_its_bound_from_the_settings() -> None:
    app = create_asgi_app(ApiSettings(max_requests_in_flight=7))
    assert isinstance(app, LoadShedding)
    assert app.bound == 7
