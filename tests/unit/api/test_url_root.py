"""Links in responses (``uri``, ``links``) start with the URL the client called, or with the
configured public root; remembering roots per Host header never mixes two hosts up."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from starlette.requests import Request

from notify_api_gateway.dependencies import AppState
from notify_api_gateway.routes.common import url_root


def request(host: str, *, scheme: str = "http", root_path: str = "") -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "scheme": scheme,
        "server": ("127.0.0.1", 6011),
        "root_path": root_path,
        "path": f"{root_path}/v2/notifications/sms",
        "query_string": b"",
        "headers": [(b"host", host.encode())],
    }
    return Request(scope)


def state(public_url_root: str | None = None) -> AppState:
    return cast(AppState, SimpleNamespace(settings=SimpleNamespace(public_url_root=public_url_root)))


def test_the_root_is_the_host_and_scheme_the_client_called() -> None:
    for _ in range(2):  # the second time from what was remembered
        assert url_root(state(), request("api.one.test")) == "http://api.one.test"
        assert url_root(state(), request("api.two.test:8443", scheme="https")) == "https://api.two.test:8443"
        assert url_root(state(), request("api.one.test", root_path="/notify")) == "http://api.one.test/notify"


def test_a_configured_public_root_wins() -> None:
    assert url_root(state("https://notify.example.gov.uk/"), request("10.0.0.7")) == (
        "https://notify.example.gov.uk"
    )
