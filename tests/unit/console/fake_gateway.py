"""What the console's unit tests share: answers in the admin API's shapes and a console app whose
admin API is a function of the test (an ``httpx.MockTransport``), so no gateway is needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console.app import create_app
from notify_admin_console.settings import ConsoleSettings
from tests.unit.console.test_permissions import SECRET


def ok(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"data": data})


def refused(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"error": "AdminError", "message": message}]})


@contextmanager
def console_client(
    gateway: Callable[[httpx.Request], httpx.Response], **settings: Any
) -> Iterator[TestClient]:
    """The console app over ``gateway``, redirects not followed."""
    config = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET), **settings)
    app = create_app(config, httpx.AsyncClient(transport=httpx.MockTransport(gateway), base_url="http://gw"))
    with TestClient(app, follow_redirects=False) as client:
        yield client
