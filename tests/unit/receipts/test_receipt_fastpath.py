"""The receipts service serves its receipt routes without the framework's routing, with the same
answers: the handler's, the app's exception handlers' for a failure, a bare 500 otherwise; every
other request goes through the app."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from notify_common.errors import RetryableError
from notify_receipts.fastpath import ProviderRoutes


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


async def test_a_receipt_route_is_answered_by_its_handler_with_the_app_in_reach() -> None:
    async def handler(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"got": body["CID"], "state": request.app.state.direct_routes is not None})

    response = await call(app_with(handler), "POST", "/receipt", json={"CID": "abc"})
    assert (response.status_code, response.json()) == (200, {"got": "abc", "state": True})


async def test_a_failure_gets_the_apps_answer_and_anything_unexpected_a_bare_500() -> None:
    async def unavailable(request: Request) -> JSONResponse:
        raise RetryableError("database down")

    async def broken(request: Request) -> JSONResponse:
        raise RuntimeError("bug")

    response = await call(app_with(unavailable), "POST", "/receipt")
    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    response = await call(app_with(broken), "POST", "/receipt")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


async def test_other_requests_go_through_the_app() -> None:
    async def handler(request: Request) -> JSONResponse:
        raise AssertionError("not this one")

    app = app_with(handler)
    assert (await call(app, "GET", "/healthz")).json() == {"status": "ok"}
    assert (await call(app, "GET", "/receipt")).status_code == 404  # the app has no such route
    assert (await call(app, "POST", "/elsewhere")).status_code == 404
