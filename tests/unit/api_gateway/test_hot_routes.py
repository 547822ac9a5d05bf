"""``HotRoutes``: the send routes answered without the framework's routing, with the app's error
envelope; every other request, method and the lifespan still reach the FastAPI app."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Message

from notify_api_gateway.dependencies import header
from notify_api_gateway.errors import rate_limited
from notify_api_gateway.fastpath import HotRoutes


def _app() -> HotRoutes:
    inner = FastAPI()

    @inner.api_route("/{path:path}", methods=["GET", "POST"])
    async def fallback(path: str) -> JSONResponse:
        return JSONResponse({"served_by": "fastapi", "path": path})

    async def ok(request: Request, raw: bytes) -> Response:
        assert request.app is inner
        return JSONResponse({"echo": raw.decode()}, status_code=201)

    async def refused(request: Request, raw: bytes) -> Response:
        raise rate_limited("normal", 3000, 7)

    async def broken(request: Request, raw: bytes) -> Response:
        raise RuntimeError("personal data must not leak: 07700900123")

    hot = HotRoutes(inner)
    hot.routes = {"/v2/notifications/sms": ok, "/v2/notifications/email": refused, "/broken": broken}
    return hot


async def _post(app: HotRoutes, path: str, method: str = "POST") -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, content=b'{"a": 1}')


@pytest.mark.asyncio
async def test_hot_route_answers_with_its_handler() -> None:
    response = await _post(_app(), "/v2/notifications/sms")
    assert response.status_code == 201
    assert response.json() == {"echo": '{"a": 1}'}
    assert response.headers["content-type"] == "application/json"


@pytest.mark.asyncio
async def test_refusals_keep_notify_envelope_and_headers() -> None:
    response = await _post(_app(), "/v2/notifications/email")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == {
        "status_code": 429,
        "errors": [
            {
                "error": "RateLimitError",
                "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            }
        ],
    }
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.asyncio
async def test_unexpected_errors_are_500_without_the_data(caplog: pytest.LogCaptureFixture) -> None:
    response = await _post(_app(), "/broken")
    assert response.status_code == 500
    assert response.json() == {
        "status_code": 500,
        "errors": [{"error": "RuntimeError", "message": "Internal server error"}],
    }
    assert "07700900123" not in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path"), [("GET", "/v2/notifications/sms"), ("POST", "/v2/templates")])
async def test_everything_else_goes_to_the_app(method: str, path: str) -> None:
    response = await _post(_app(), path, method)
    assert response.json() == {"served_by": "fastapi", "path": path.lstrip("/")}


async def _call(app: HotRoutes, messages: list[dict[str, object]]) -> list[Message]:
    """``app`` given a POST to the text route whose body arrives as ``messages``; what it sent."""
    scope = {"type": "http", "method": "POST", "path": "/v2/notifications/sms", "headers": []}
    pending = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.asyncio
async def test_a_body_in_several_parts_reaches_the_handler_whole() -> None:
    parts = [b'{"a"', b"", b': "b"}']
    messages: list[dict[str, object]] = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    start, body = await _call(_app(), messages)
    assert start["status"] == 201
    assert body["body"] == b'{"echo":"{\\"a\\": \\"b\\"}"}'


@pytest.mark.asyncio
async def test_a_client_gone_before_the_end_of_its_body_is_answered_as_the_framework_answered_it() -> None:
    messages: list[dict[str, object]] = [
        {"type": "http.request", "body": b'{"a"', "more_body": True},
        {"type": "http.disconnect"},
    ]
    start, body = await _call(_app(), messages)
    assert start["status"] == 500
    assert body["body"] == (
        b'{"status_code":500,"errors":[{"error":"ClientDisconnect","message":"Internal server error"}]}'
    )


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"authorization", b"Bearer a")],
        [(b"x-request-id", b"first"), (b"idempotency-key", b"k"), (b"x-request-id", b"second")],
        [(b"x-request-id", "caf\u00e9".encode("latin-1")), (b"authorization", b"")],
    ],
)
@pytest.mark.parametrize("name", ["authorization", "x-request-id", "idempotency-key"])
def test_a_header_is_read_as_starlette_reads_it(headers: list[tuple[bytes, bytes]], name: str) -> None:
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": headers})
    assert header(request, name.encode()) == request.headers.get(name)
