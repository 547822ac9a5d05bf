"""A value the database refuses is the client's 400 in Notify's error shape, never a 500."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError

from notify_api_gateway.errors import UNCONFIRMED, register_error_handlers
from notify_common.jobs.submit import CancelUnconfirmed


def client_raising(error: Exception) -> TestClient:
    app = FastAPI()
    register_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("orig", "message"),
    [
        (
            "PostgreSQL text fields cannot contain NUL (0x00) bytes",
            "Text cannot contain the NUL character (\\u0000)",
        ),
        ("value too long for type character varying(255)", "A value in the request cannot be stored"),
    ],
)
def test_a_value_the_database_refuses_is_a_400(orig: str, message: str) -> None:
    response = client_raising(DataError("SELECT 1", {}, Exception(orig))).get("/boom")
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "errors": [{"error": "ValidationError", "message": message}],
    }


def test_anything_else_unexpected_is_still_a_500_in_notifys_shape() -> None:
    response = client_raising(RuntimeError("bug")).get("/boom")
    assert response.status_code == 500
    assert response.json()["errors"] == [{"error": "RuntimeError", "message": "Internal server error"}]


def test_a_cancel_the_job_splitter_did_not_decide_in_time_is_a_503_saying_it_may_still_take_effect() -> None:
    app = FastAPI()
    register_error_handlers(app)

    @app.post("/cancel")
    async def cancel() -> None:
        raise CancelUnconfirmed()

    response = TestClient(app, raise_server_exceptions=False).post("/cancel")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json() == {
        "status_code": 503,
        "errors": [{"error": "ServiceUnavailableError", "message": UNCONFIRMED}],
    }
