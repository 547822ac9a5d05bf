"""How every service's HTTP server is configured (``notify_common.http.server_config``)."""

from __future__ import annotations

from typing import Any

from notify_common.http import read_body, server_config


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:  # pragma: no cover - never called
    raise AssertionError("not served in these tests")


def test_idle_connections_outlive_a_load_balancers_idle_timeout() -> None:
    # A balancer in front (ALB, nginx) closes its idle connections after 60 s; the service must not
    # close first, or the balancer may send a request down a connection the service just closed.
    assert server_config(_app, 30).timeout_keep_alive > 60


def test_the_server_stops_within_the_grace_period_and_logs_no_access_lines() -> None:
    config = server_config(_app, 30, host="127.0.0.1", port=8080)
    assert (config.timeout_graceful_shutdown, config.access_log, config.log_config) == (30, False, None)
    assert (config.host, config.port, config.lifespan) == ("127.0.0.1", 8080, "on")


def test_forwarded_headers_do_not_rewrite_a_requests_client_or_scheme() -> None:
    # Nothing reads either; uvicorn's rewriting parsed every loopback request's client address.
    config = server_config(_app, 30, host="127.0.0.1", port=8080)
    config.load()
    assert config.proxy_headers is False
    assert "ProxyHeadersMiddleware" not in type(config.loaded_app).__name__


def messages(*items: dict[str, Any]) -> Any:
    queue = list(items)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    return receive


async def test_a_body_sent_in_parts_is_read_whole() -> None:
    receive = messages(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"cd"},
    )
    assert await read_body(receive) == b"abcd"


async def test_a_body_in_one_message_is_read_as_it_is() -> None:
    assert await read_body(messages({"type": "http.request", "body": b"whole"})) == b"whole"
    assert await read_body(messages({"type": "http.request"})) == b""


async def test_a_client_gone_before_the_end_of_its_body_gives_none() -> None:
    receive = messages(
        {"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.disconnect"}
    )
    assert await read_body(receive) is None
