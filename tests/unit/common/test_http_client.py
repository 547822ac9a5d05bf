"""The shared keep-alive HTTP client (notify_common/http_client.py) against a tiny local HTTP
server: keeps connections alive and within the limit, reads fixed-length and chunked answers,
sends what it is given with the caller's User-Agent, times only connecting and the answer, reports
each failure as a caller needs to tell them apart (nothing sent / maybe sent), and, when traced,
makes each request a client span whose trace it carries."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from notify_common.http_client import ConnectFailed, Disconnected, HttpClient, RequestTimeout, Response
from tests.support.scripted_http import Server, answer_ok, header_fields, ok, serving
from tests.support.spans import recorded_spans


def refused_url() -> str:
    """A URL on a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/x"


@pytest.fixture
async def served() -> AsyncIterator[tuple[Server, str]]:
    async with serving(answer_ok, "/receipts?token=t%26k") as served:
        yield served


async def test_requests_share_kept_alive_connections_and_stay_within_the_limit(
    served: tuple[Server, str],
) -> None:
    server, url = served
    async with HttpClient(limit=3, timeout_s=5) as client:
        answers = await asyncio.gather(*(client.post(url, b"%d" % i, b"text/plain") for i in range(30)))
    assert answers == [Response(200, b'{"result":"success"}')] * 30
    assert sorted(server.bodies) == sorted(b"%d" % i for i in range(30))
    assert server.connections == 3
    assert server.most_active == 3


async def test_the_request_line_and_headers_are_the_urls_and_the_callers(
    served: tuple[Server, str],
) -> None:
    server, url = served
    async with HttpClient(limit=1, timeout_s=5, user_agent="notify-provider-simulator") as client:
        await client.post(url, b'{"CID":"1"}', b"application/json", b"X-Extra: 1\r\n")
    [head] = server.heads
    request_line, fields = header_fields(head)
    assert request_line == "POST /receipts?token=t%26k HTTP/1.1"
    assert fields == {
        "host": f"127.0.0.1:{server.port}",
        "user-agent": "notify-provider-simulator",
        "content-type": "application/json",
        "content-length": "11",
        "x-extra": "1",
    }
    assert server.bodies == [b'{"CID":"1"}']


async def test_a_chunked_answer_is_read_whole(served: tuple[Server, str]) -> None:
    server, url = served

    async def chunked(_: bytes) -> bytes:
        return b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nslo\r\n4\r\nw up\r\n0\r\n\r\n"

    server.reply = chunked
    async with HttpClient(limit=1, timeout_s=5) as client:
        assert await client.post(url, b"x", b"text/plain") == Response(429, b"slow up")
        assert await client.post(url, b"y", b"text/plain") == Response(429, b"slow up")
    assert server.connections == 1


async def test_an_answer_that_closes_the_connection_is_read_and_the_next_request_reconnects(
    served: tuple[Server, str],
) -> None:
    server, url = served

    async def closing(_: bytes) -> bytes:
        return b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy"

    server.reply = closing
    async with HttpClient(limit=1, timeout_s=5) as client:
        assert await client.post(url, b"x", b"text/plain") == Response(503, b"busy")
        server.reply = answer_ok
        assert (await client.post(url, b"y", b"text/plain")).status == 200
    assert server.connections == 2


async def test_no_answer_in_time_is_a_timeout_and_the_connection_is_not_reused(
    served: tuple[Server, str],
) -> None:
    server, url = served

    async def slow_once(body: bytes) -> bytes:
        if body == b"slow":
            await asyncio.sleep(2)
        return ok()

    server.reply = slow_once
    async with HttpClient(limit=1, timeout_s=0.5) as client:
        with pytest.raises(RequestTimeout):
            await client.post(url, b"slow", b"text/plain")
        assert (await client.post(url, b"fast", b"text/plain")).status == 200
    assert server.connections == 2


async def test_waiting_for_a_free_connection_is_not_timed(served: tuple[Server, str]) -> None:
    # One connection, each answer 0.1 s: the twelfth request waits 1.1 s for its turn, longer than
    # the 1 s its answer is given, and is still answered.
    server, url = served

    async def slow(_: bytes) -> bytes:
        await asyncio.sleep(0.1)
        return ok()

    server.reply = slow
    async with HttpClient(limit=1, timeout_s=1.0) as client:
        answers = await asyncio.gather(*(client.post(url, b"x", b"text/plain") for _ in range(12)))
    assert [a.status for a in answers] == [200] * 12
    assert server.connections == 1


async def test_a_connection_closed_without_an_answer_is_ambiguous_not_unreachable(
    served: tuple[Server, str],
) -> None:
    server, url = served

    async def hang_up(_: bytes) -> None:
        return None

    server.reply = hang_up
    async with HttpClient(limit=1, timeout_s=2) as client:
        with pytest.raises(Disconnected):
            await client.post(url, b"x", b"text/plain")


async def test_a_refused_connection_means_nothing_was_sent() -> None:
    async with HttpClient(limit=1, timeout_s=1, connect_timeout_s=1) as client:
        with pytest.raises(ConnectFailed):
            await client.post(refused_url(), b"x", b"text/plain")


async def test_a_url_that_is_not_http_is_refused_without_echoing_it() -> None:
    async with HttpClient(limit=1, timeout_s=1) as client:
        with pytest.raises(ValueError, match="not an http") as refused:
            await client.post("ftp://host/x?token=secret", b"x", b"text/plain")
    assert "secret" not in str(refused.value)


async def test_a_traced_request_is_a_client_span_whose_trace_it_carries(served: tuple[Server, str]) -> None:
    server, url = served
    with recorded_spans() as spans:
        async with HttpClient(limit=1, timeout_s=5, traced=True) as client:
            assert (await client.post(url, b"x", b"text/plain", b"X-Extra: 1\r\n")).status == 200
    [span] = spans.get_finished_spans()
    assert span.kind is SpanKind.CLIENT
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "http.request.method": "POST",
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "url.path": "/receipts",  # never the query: it may carry a token
        "http.response.status_code": 200,
    }
    _, fields = header_fields(server.heads[0])
    assert span.context is not None
    assert (
        fields["traceparent"]
        == f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-{span.context.trace_flags:02x}"
    )
    assert fields["x-extra"] == "1"


async def test_a_traced_request_without_an_answer_is_a_failed_span() -> None:
    with recorded_spans() as spans:
        async with HttpClient(limit=1, timeout_s=1, connect_timeout_s=1, traced=True) as client:
            with pytest.raises(ConnectFailed):
                await client.post(refused_url(), b"x", b"text/plain")
    [span] = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR


async def test_an_untraced_request_makes_no_span_and_carries_no_trace(served: tuple[Server, str]) -> None:
    server, url = served
    with recorded_spans() as spans:
        async with HttpClient(limit=1, timeout_s=5) as client:
            await client.post(url, b"x", b"text/plain")
    assert spans.get_finished_spans() == ()
    assert "traceparent" not in header_fields(server.heads[0])[1]
