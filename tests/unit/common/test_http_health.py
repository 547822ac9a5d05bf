"""The health routes every FastAPI service adds: liveness always, readiness from the service's own
check, with what is not ready in the 503; neither in the OpenAPI description."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from notify_common.http_health import add_health_routes


def _app(problem: str | None) -> FastAPI:
    async def unready() -> str | None:
        return problem

    app = FastAPI()
    add_health_routes(app, unready)
    return app


def test_a_service_that_can_work_is_live_and_ready() -> None:
    client = TestClient(_app(None))
    assert (client.get("/healthz").status_code, client.get("/healthz").json()) == (200, {"status": "ok"})
    assert (client.get("/readyz").status_code, client.get("/readyz").json()) == (200, {"status": "ready"})


def test_a_service_that_cannot_work_is_live_but_not_ready_and_says_why() -> None:
    client = TestClient(_app("database unreachable"))
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (503, {"status": "database unreachable"})


def test_the_health_routes_are_not_in_the_api_description() -> None:
    assert not {"/healthz", "/readyz"} & set(_app(None).openapi()["paths"])
