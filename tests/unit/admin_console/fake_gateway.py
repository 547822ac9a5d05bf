"""What the console's unit tests share: answers in the admin API's shapes and a console app whose
admin-api and public API are one function of the test (an ``httpx.MockTransport``, told apart by
path), so no platform is needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console.app import create_app
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.test_permissions import SECRET


def ok(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"data": data})


def refused(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"error": "AdminError", "message": message}]})


@contextmanager
def console_client(
    gateway: Callable[[httpx.Request], httpx.Response], **settings: Any
) -> Iterator[TestClient]:
    """The console app over ``gateway`` (admin calls and sends alike), redirects not followed."""
    config = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET), **settings)
    transport = httpx.MockTransport(gateway)
    app = create_app(
        config,
        httpx.AsyncClient(transport=transport, base_url="http://admin-api"),
        public=httpx.AsyncClient(transport=transport, base_url="http://gw"),
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client
