"""The receipts service serves its provider routes straight from ASGI, with the same answers: the
handler's (given the request's query string, headers, peer and body), the app's exception
handlers' for a failure, a bare 500 otherwise; every other request goes through the app."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from notify_common.errors import RetryableError
from notify_receipts.fastpath import Answer, Posted, ProviderRoutes


def app_with(handler: Any) -> FastAPI:
    app = FastAPI()

    @app.exception_handler(RetryableError)
    async def unavailable(request: Request, exc: RetryableError) -> JSONResponse:
        return JSONResponse({"result": "error"}, 503, headers={"Retry-After": "5"})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.state.direct_routes = {"/receipt": handler}
    return app


async def call(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=ProviderRoutes(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://receipts") as client:
        return await client.request(method, path, **kwargs)


async def test_a_receipt_route_is_answered_by_its_handler_from_what_was_posted() -> None:
    async def handler(request: Posted) -> Answer:
        seen = {
            "body": request.body.decode(),
            "token": request.query("token"),
            "header": request.header(b"x-provider"),
            "host": request.host,
        }
        return 202, json.dumps(seen).encode()

    response = await call(
        app_with(handler),
        "POST",
        "/receipt?token=a&token=b",
        content=b"CID=abc",
        headers={"X-Provider": "mmg"},
    )
    assert (response.status_code, response.headers["content-type"]) == (202, "application/json")
    assert response.json() == {"body": "CID=abc", "token": "b", "header": "mmg", "host": "127.0.0.1"}


async def test_a_failure_gets_the_apps_answer_and_anything_unexpected_a_bare_500() -> None:
    async def unavailable(request: Posted) -> Answer:
        raise RetryableError("database down")

    async def broken(request: Posted) -> Answer:
        raise RuntimeError("bug")

    response = await call(app_with(unavailable), "POST", "/receipt")
    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    response = await call(app_with(broken), "POST", "/receipt")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


async def test_other_requests_go_through_the_app() -> None:
    async def handler(request: Posted) -> Answer:
        raise AssertionError("not this one")

    app = app_with(handler)
    assert (await call(app, "GET", "/healthz")).json() == {"status": "ok"}
    assert (await call(app, "GET", "/receipt")).status_code == 404  # the app has no such route
    assert (await call(app, "POST", "/elsewhere")).status_code == 404


@pytest.mark.parametrize(
    "query_string",
    [b"", b"token=abc", b"token=a&token=b", b"other=1", b"%74oken=x", b"token", b"token=&x=1", b"token=a+b%2Fc",
     b"tok\xe9n=1&token=\xe9", b"a=1;token=2", b"token=1&Token=2", b"token=a=b", b"&&token=x&", b"=x&token=",
     b"token&token=2&token", b"x=%&token=1", b"token=%zz"],
)  # fmt: skip
def test_a_posted_query_parameter_is_what_starlettes_query_params_give(query_string: bytes) -> None:
    scope = {"type": "http", "query_string": query_string, "headers": []}
    assert Posted.of(scope, b"").query("token") == Request(scope).query_params.get("token")


@pytest.mark.parametrize(
    "headers",
    [[], [(b"authorization", b"Basic eDp5")], [(b"authorization", b"a"), (b"authorization", b"b")],
     [(b"x-other", b"1")], [(b"authorization", b"Basic \xe9")]],
)  # fmt: skip
def test_a_posted_header_and_peer_are_what_starlettes_request_gives(
    headers: list[tuple[bytes, bytes]],
) -> None:
    for client in (("10.1.2.3", 5000), None):
        scope = {"type": "http", "query_string": b"", "headers": headers, "client": client}
        posted, request = Posted.of(scope, b""), Request(scope)
        assert posted.header(b"authorization") == request.headers.get("Authorization")
        assert posted.host == (request.client.host if request.client else "")
