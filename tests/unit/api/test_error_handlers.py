"""A value the database refuses is the client's 400 in Notify's error shape, never a 500."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError

from notify_api_gateway.errors import register_error_handlers


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
