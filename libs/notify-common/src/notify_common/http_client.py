"""A small keep-alive HTTP/1.1 client for POSTing small bodies to a few fixed URLs, thousands of
times a second: a pool of persistent connections per origin, one request in flight per connection,
responses parsed by httptools.

Why not aiohttp or httpx: where every request has the same shape (a POST with a small body to one
of a few URLs), their general machinery is most of the caller's CPU (aiohttp about 200 µs a
request on the project's machine, httpx several times that; this client about 40 µs; see
docs/benchmarks.md, "The provider simulator", and docs/benchmarks-send.md). Made with
``traced=True`` (the sms-sender's provider calls), each request is a client span
(``tracing.http_client_span``: from waiting for a connection to the answer) and carries its
``traceparent`` header; otherwise it makes no spans.

Failures are told apart as a caller that must not repeat a request blindly needs them:

* :class:`ConnectFailed`: no connection could be made, so nothing reached the server;
* :class:`RequestTimeout`: no complete answer in time after the request was (or may have been)
  written; the server may have acted on it;
* :class:`Disconnected`: the connection closed before a complete answer; likewise ambiguous.

Only connecting and the answer are timed: a request waiting for a free connection (all ``limit``
busy) waits as long as it takes.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import cast
from urllib.parse import urlsplit

import httptools

from notify_common import tracing

# Parsed URLs kept; callers post to a handful.
_TARGETS_KEPT = 1024


class HttpClientError(Exception):
    """A request that got no complete answer."""


class ConnectFailed(HttpClientError):
    """No connection could be made: the request certainly did not reach the server."""


class RequestTimeout(HttpClientError):
    """No complete answer in time: the server may or may not have acted on the request."""


class Disconnected(HttpClientError):
    """The connection closed (or sent garbage) before a complete answer: as ambiguous as a timeout."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class _Target:
    origin: tuple[str, str, int]  # scheme, host, port
    path: str  # for a span: the URL's path without its query
    head: bytes  # "POST <path> HTTP/1.1\r\nHost: <host>\r\nUser-Agent: ...\r\n"


class _Connection(asyncio.Protocol):
    """One persistent connection; at most one request in flight."""

    __slots__ = ("_body", "_keep_alive", "_parser", "_waiter", "closed", "transport")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Response] | None = None
        self._body: list[bytes] = []
        self._keep_alive = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(Disconnected(f"malformed response: {type(exc).__name__}"))
            self.abort()

    def eof_received(self) -> bool | None:
        return False  # close the transport: the server is done with this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(Disconnected("connection closed before the response was complete"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()
        waiter, self._waiter = self._waiter, None
        body, self._body = self._body, []
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(self._parser.get_status_code(), b"".join(body)))

    def send(self, data: bytes, waiter: asyncio.Future[Response]) -> None:
        assert self.transport is not None
        self._waiter = waiter
        self.transport.write(data)

    @property
    def reusable(self) -> bool:
        return self._keep_alive and not self.closed and self._waiter is None

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, error: HttpClientError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class _Origin:
    """The connections to one scheme://host:port, at most ``limit`` of them."""

    def __init__(self, scheme: str, host: str, port: int, limit: int, connect_timeout_s: float) -> None:
        self._host, self._port, self._limit = host, port, limit
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if scheme == "https" else None
        self._connect_timeout_s = connect_timeout_s
        self._idle: list[_Connection] = []
        self._open = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> _Connection:
        while True:
            while self._idle:
                connection = self._idle.pop()
                if connection.reusable:
                    return connection
                self._discard(connection)
            if self._open < self._limit:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if not waiter.cancelled():
                    self._wake()  # pass the wake-up we were given on to the next waiter
                raise

    def release(self, connection: _Connection) -> None:
        if connection.reusable:
            self._idle.append(connection)
        else:
            self._discard(connection)
        self._wake()

    def _discard(self, connection: _Connection) -> None:
        connection.abort()
        self._open -= 1

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                _, connection = await loop.create_connection(
                    _Connection,
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl is not None else None,
                )
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"could not connect: {type(exc).__name__}") from exc
        return connection

    def close(self) -> None:
        for connection in self._idle:
            connection.abort()
        self._idle.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()


class HttpClient:
    """POSTs over pooled keep-alive connections: at most ``limit`` connections per origin, each
    request answered within ``timeout_s`` of being written (connecting within
    ``connect_timeout_s``), sent with ``User-Agent: <user_agent>``; each a client span if
    ``traced``."""

    def __init__(
        self,
        limit: int,
        timeout_s: float,
        connect_timeout_s: float = 5.0,
        *,
        user_agent: str = "notify",
        traced: bool = False,
    ) -> None:
        self._limit, self._timeout_s, self._connect_timeout_s = limit, timeout_s, connect_timeout_s
        self._user_agent, self._traced = user_agent, traced
        self._origins: dict[tuple[str, str, int], _Origin] = {}
        self._targets: dict[str, _Target] = {}

    async def post(self, url: str, body: bytes, content_type: bytes, headers: bytes = b"") -> Response:
        """POST ``body`` to ``url``; ``headers`` are extra header lines, each ending ``\\r\\n``.
        Raises ``ValueError`` for a URL that is not http(s), else only :class:`HttpClientError`'s
        kinds for a request without a complete answer."""
        target = self._targets.get(url) or self._target(url)
        if not self._traced:
            return await self._post(target, body, content_type, headers)
        with tracing.http_client_span("POST", target.origin[1], target.origin[2], target.path) as span:
            response = await self._post(target, body, content_type, headers + span.header)
            span.answered(response.status)
            return response

    async def _post(self, target: _Target, body: bytes, content_type: bytes, headers: bytes) -> Response:
        origin = self._origins.get(target.origin) or self._origin(target.origin)
        request = b"%sContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n%s" % (
            target.head,
            content_type,
            len(body),
            headers,
            body,
        )
        loop = asyncio.get_running_loop()
        connection = await origin.acquire()
        waiter: asyncio.Future[Response] = loop.create_future()
        timer = loop.call_later(self._timeout_s, _expire, waiter)
        try:
            connection.send(request, waiter)
            return await waiter
        except BaseException:
            connection.abort()  # the connection's state is unknown: never reuse it
            raise
        finally:
            timer.cancel()
            origin.release(connection)

    def _target(self, url: str) -> _Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL")  # never the URL itself: it may carry a token
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        default_port = port == (443 if parts.scheme == "https" else 80)
        host = parts.hostname if default_port else f"{parts.hostname}:{port}"
        head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {self._user_agent}\r\n"
        target = _Target((parts.scheme, parts.hostname, port), parts.path or "/", head.encode("ascii"))
        if len(self._targets) >= _TARGETS_KEPT:
            self._targets.clear()  # a caller posting to ever new URLs: parsed again, not hoarded
        self._targets[url] = target
        return target

    def _origin(self, key: tuple[str, str, int]) -> _Origin:
        origin = _Origin(*key, limit=self._limit, connect_timeout_s=self._connect_timeout_s)
        self._origins[key] = origin
        return origin

    async def close(self) -> None:
        for origin in self._origins.values():
            origin.close()
        self._origins.clear()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def _expire(waiter: asyncio.Future[Response]) -> None:
    if not waiter.done():
        waiter.set_exception(RequestTimeout("no complete answer in time"))
