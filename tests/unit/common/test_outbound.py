"""Callback URLs may not point into the platform's own network (SSRF), at set time or connect time."""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from notify_common.outbound import (
    GuardedTransport,
    UnsafeDestinationError,
    address_allowed,
    check_url,
    parse_networks,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost:6011/admin/services",
        "https://127.0.0.1/",
        "https://10.0.0.1/",
        "https://172.16.5.4/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://[::1]:6011/",
        "https://[fe80::1]/",
        "https://[fc00::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://240.0.0.1/",
    ],
)
async def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDestinationError, match="public address"):
        await check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/callback",
        "https://user:pass@93.184.215.14/",
        "https://user@93.184.215.14/",
        "ftp://93.184.215.14/",
        "https:///path",
        "https://93.184.215.14:99999/",
    ],
)
async def test_only_plain_https_urls_are_taken(url: str) -> None:
    with pytest.raises(UnsafeDestinationError):
        await check_url(url)


async def test_a_public_address_is_taken() -> None:
    await check_url("https://93.184.215.14/callback")


async def test_a_name_that_does_not_resolve_yet_is_taken_and_refused_at_connect_time() -> None:
    url = "https://receiver.invalid/callback"  # .invalid never resolves (RFC 6761)
    await check_url(url)
    async with httpx.AsyncClient(transport=GuardedTransport(httpx.AsyncHTTPTransport())) as client:
        with pytest.raises(UnsafeDestinationError):
            await client.post(url, content=b"{}")


async def test_an_allowed_network_lets_a_self_hoster_reach_an_internal_receiver() -> None:
    await check_url("https://10.1.2.3/callback", parse_networks("10.1.0.0/16"))
    with pytest.raises(UnsafeDestinationError):
        await check_url("https://10.2.0.1/callback", parse_networks("10.1.0.0/16"))


def test_networks_that_do_not_parse_are_refused() -> None:
    with pytest.raises(ValueError, match="not a network"):
        parse_networks("10.0.0.0/8, intranet")
    assert address_allowed(ipaddress.ip_address("10.9.9.9"), parse_networks("10.0.0.0/8"))


@pytest.fixture
def local_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.send_header("X-Host-Seen", self.headers.get("Host", ""))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/callback"
    finally:
        server.shutdown()


async def test_the_transport_refuses_at_connect_time_a_name_that_resolves_inside(local_server: str) -> None:
    """Whatever a URL resolved to when it was set, the connection is checked again."""
    async with httpx.AsyncClient(transport=GuardedTransport(httpx.AsyncHTTPTransport())) as client:
        with pytest.raises(UnsafeDestinationError):
            await client.post(local_server, content=b"{}")


async def test_an_allowed_address_is_reached_with_its_host_header_kept(local_server: str) -> None:
    url = local_server.replace("localhost", "127.0.0.1")
    transport = GuardedTransport(
        httpx.AsyncHTTPTransport(verify=ssl.create_default_context()), parse_networks("127.0.0.0/8")
    )
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post(url, content=b"{}")
    assert response.status_code == 200
    assert response.headers["x-host-seen"] == url.split("/")[2]
