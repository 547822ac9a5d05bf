"""Links in responses and emails (``uri``, ``links``, file-download links) start with the configured
public URL, never with the Host header a client chose; outside development the api-gateway refuses
to start without one configured."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from pydantic import SecretStr
from starlette.requests import Request

from notify_api_gateway.dependencies import AppState
from notify_api_gateway.routes.common import url_root
from notify_api_gateway.settings import ApiSettings

SECRET = SecretStr("s" * 64)


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


def state(**settings: Any) -> AppState:
    return cast(AppState, SimpleNamespace(settings=ApiSettings(**settings)))


def test_the_host_header_never_writes_the_links() -> None:
    configured = state(api_base_url="https://api.notify.example.org")
    for host in ("evil.example", "api.one.test:8443"):
        assert url_root(configured, request(host)) == "https://api.notify.example.org"


def test_a_configured_public_root_wins_over_the_api_base_url() -> None:
    configured = state(api_base_url="http://gateway:8080", public_url_root="https://notify.example.gov.uk/")
    assert url_root(configured, request("10.0.0.7")) == "https://notify.example.gov.uk"


def test_production_refuses_to_start_without_a_configured_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_API_BASE_URL", raising=False)
    monkeypatch.delenv("NOTIFY_PUBLIC_URL_ROOT", raising=False)
    with pytest.raises(ValueError, match="NOTIFY_PUBLIC_URL_ROOT or NOTIFY_API_BASE_URL"):
        ApiSettings(environment="production", secret_key=SECRET).check_production_ready()
    ApiSettings(
        environment="production", secret_key=SECRET, api_base_url="https://a.example"
    ).check_production_ready()
    monkeypatch.setenv("NOTIFY_PUBLIC_URL_ROOT", "https://b.example")
    ApiSettings(environment="production", secret_key=SECRET).check_production_ready()
    monkeypatch.delenv("NOTIFY_PUBLIC_URL_ROOT")
    ApiSettings(environment="development", secret_key=SECRET).check_production_ready()
