"""No request makes the api-gateway read more than its route allows: an oversized body is refused
from its Content-Length before it is sent, a chunked one as soon as it passes the limit, an
oversized token or header block is refused before anything is verified or remembered, and other
tenants' requests keep being answered meanwhile."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import orjson

from notify_api_gateway.dependencies import verified_tokens
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox

MB = 1024 * 1024


def sms(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    return {
        "phone_number": "07700900123",
        "template_id": sandbox.templates["sms"],
        "personalisation": {"name": "Ada", "code": "1", **extra},
    }


def assert_notify_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["status_code"] == status
    assert body["errors"]
    assert set(body["errors"][0]) == {"error", "message"}


def raw_request(url: str, head: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """Sends ``head`` and the start of a body on a raw socket; returns the status and JSON body.
    The socket timeout only ends a test whose server waits for the rest of the body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(head.encode() + body)
        received = b""
        while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < _length(received):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    return int(status_line.split()[1]), orjson.loads(rest.partition(b"\r\n\r\n")[2])


def _length(received: bytes) -> int:
    for line in received.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_a_body_declared_too_large_is_refused_before_it_is_sent(sandbox: Sandbox) -> None:
    auth = sandbox.headers()["Authorization"]
    head = (
        "POST /v2/notifications/email HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
        f"Authorization: {auth}\r\nContent-Length: {50 * MB}\r\n\r\n"
    )
    status, body = raw_request(sandbox.url, head, b'{"email_address": ')
    assert status == 413
    assert body["status_code"] == 413
    assert body["errors"][0]["error"] == "BadRequestError"
    assert "3 MB" in body["errors"][0]["message"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit(sandbox: Sandbox) -> None:
    padding = "x" * (2 * MB)
    payload = orjson.dumps(sms(sandbox, padding=padding))

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]

    response = httpx.post(
        f"{sandbox.url}/v2/notifications/sms",
        content=chunks(),
        headers={**sandbox.headers(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert_notify_error(response, 413)


def test_every_route_is_bounded_including_the_admin_api_and_legacy_adapters(sandbox: Sandbox) -> None:
    big = {"name": "x" * (4 * MB)}
    admin = httpx.post(
        f"{sandbox.admin_url}/admin/services",
        json=big,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert_notify_error(admin, 413)
    legacy = sandbox.post("/notifications/sms", {"to": "07700900123", "padding": "x" * (2 * MB)})
    assert_notify_error(legacy, 413)
    bulk = sandbox.post("/v2/notifications/bulk", {"rows": [["phone number"]] + [["07700900123"]] * 2 * MB})
    assert_notify_error(bulk, 413)


def test_a_huge_bearer_token_is_refused_and_not_remembered(sandbox: Sandbox) -> None:
    claims = {"iss": sandbox.service_id, "iat": int(time.time()), "padding": "x" * 100_000}
    token = jwt.encode(claims, sandbox.secret(), "HS256")
    response = httpx.post(
        f"{sandbox.url}/v2/notifications/sms",
        json=sms(sandbox),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code in (400, 401, 403)
    assert_notify_error(response, response.status_code)
    assert verified_tokens.get(token) is None


def test_a_send_within_the_limits_still_works(sandbox: Sandbox) -> None:
    response = sandbox.post("/v2/notifications/sms", sms(sandbox, padding="y" * 100_000))
    assert response.status_code == 201, response.text


def test_other_requests_are_answered_while_an_oversized_body_arrives(sandbox: Sandbox) -> None:
    results: dict[str, int] = {}

    def send_big() -> None:
        body = sms(sandbox, padding="z" * (20 * MB))
        results["big"] = sandbox.post("/v2/notifications/sms", body).status_code

    sender = threading.Thread(target=send_big)
    sender.start()
    health = httpx.get(f"{sandbox.url}/healthz", timeout=30)
    sender.join(timeout=60)
    assert health.status_code == 200
    assert results["big"] == 413
