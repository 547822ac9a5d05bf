"""Keep-alive HTTP/1.1 connections for callbacks: POST only, a pool of persistent connections per
origin (scheme, host, port), one request in flight on each, responses parsed by httptools (llhttp).

Why not aiohttp: a callback is always the same shape (a small JSON POST, a status read back), and
aiohttp's general request machinery (request and response objects, streams, timers, the
connector's bookkeeping) was the largest part of the service's CPU per callback
(docs/benchmarks-callbacks.md). Connections are made by ``connect``, given by the caller, which
decides where a connection may go (``guarded_http``); this module never resolves a name itself.

A response is read to its end when its body is at most ``MAX_READ_BYTES`` long, so the connection
carries the next callback; a longer body, or one whose end only the connection's close can tell,
is not read: its status is answered at once and the connection closed.

Failures are exceptions of one tree (``HttpError``), besides the builtin ``TimeoutError``:

* :class:`ConnectFailed`: no connection could be made, so nothing reached the receiver;
* :class:`Disconnected`: the connection closed, or sent something that is not HTTP, before a
  complete answer (the receiver may have acted on the request);
* :class:`InvalidUrl`: the URL is not one this client can send to (nothing was sent);
* :class:`InvalidHeader`: a header value HTTP cannot carry (nothing was sent).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote, urlsplit

import httptools

# A response body up to this size is read so the connection can carry the next callback.
MAX_READ_BYTES = 64 * 1024
# An idle connection is closed after this long unused (a receiver may close it sooner).
IDLE_SECONDS = 15.0
USER_AGENT = "notify-callbacks"


class HttpError(Exception):
    """A request that got no answer."""


class ConnectFailed(HttpError):
    """No connection could be made: the request did not reach the receiver."""


class Disconnected(HttpError):
    """The connection closed, or answered with something that is not HTTP, before a complete
    answer."""


class InvalidUrl(HttpError):
    """Not an http(s) URL with a host (or holds a user name or password): nothing was sent."""


class InvalidHeader(HttpError):
    """A header value holding a line break, or a character outside Latin-1: nothing was sent."""


def header_lines(headers: Mapping[str, str]) -> bytes:
    """``headers`` as HTTP header lines; raises ``InvalidHeader`` for a value that would break the
    request (a line break would start a header of the value's choosing)."""
    try:
        lines = b"".join(
            b"%s: %s\r\n" % (name.encode("ascii"), value.encode("latin-1")) for name, value in headers.items()
        )
    except UnicodeEncodeError as exc:
        raise InvalidHeader("a header value holds a character HTTP cannot carry") from exc
    if lines.count(b"\n") != len(headers) or lines.count(b"\r") != len(headers):
        raise InvalidHeader("a header value holds a line break")
    return lines


@dataclass(frozen=True, slots=True)
class Target:
    """Where a URL's requests go: its origin and the start of every request to it."""

    scheme: str
    host: str
    port: int
    head: bytes  # "POST <path> HTTP/1.1\r\nHost: <host>\r\nUser-Agent: ...\r\n"


def target_of(url: str) -> Target:
    """The target of ``url``; raises ``InvalidUrl`` for anything but an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise InvalidUrl("url is not a valid url") from exc
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc or port == 0:
        raise InvalidUrl("url is not a valid url")
    default = 443 if parts.scheme == "https" else 80
    port = port or default
    # Characters a URL path may hold stay as they are (including escapes already made); any other
    # is escaped, as a browser would send it.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    named = f"[{host}]" if ":" in host else host
    authority = named if port == default else f"{named}:{port}"
    head = f"POST {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\n".encode("ascii")
    return Target(parts.scheme, host, port, head)


class Connection(asyncio.Protocol):
    """One persistent connection; at most one request in flight."""

    __slots__ = (
        "_framed",
        "_keep",
        "_length",
        "_parser",
        "_read",
        "_waiter",
        "closed",
        "idle_since",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[int] | None = None
        self._keep = True
        self._framed = False
        self._length: int | None = None
        self._read = 0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # nothing asked: bytes no request explains
            self.abort()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(Disconnected(f"malformed response: {type(exc).__name__}"))
            self.abort()

    def eof_received(self) -> bool | None:
        return False  # close the transport: the receiver is done with this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(Disconnected("connection closed before the response was complete"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._framed, self._length, self._read = False, None, 0
        if self._waiter is None:  # a second answer to one request: the connection is out of step
            self._keep = False

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length":
            self._framed = True
            try:
                self._length = int(value)
            except ValueError:
                self._length = None  # llhttp refuses the message itself
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            self._framed = True

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200 or status in (204, 304):
            return  # no body: the message is complete at once
        if not self._framed or (self._length is not None and self._length > MAX_READ_BYTES):
            self._answer(status, keep=False)

    def on_body(self, body: bytes) -> None:
        self._read += len(body)
        if self._read > MAX_READ_BYTES:
            self._answer(self._parser.get_status_code(), keep=False)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if status >= 200:  # an interim 1xx answer is followed by the real one
            self._answer(status, keep=self._parser.should_keep_alive())

    def send(self, data: bytes, waiter: asyncio.Future[int]) -> None:
        assert self.transport is not None
        self._waiter = waiter
        self.transport.write(data)

    @property
    def reusable(self) -> bool:
        return self._keep and not self.closed and self._waiter is None

    def abort(self) -> None:
        self._keep = False
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.abort()

    def _answer(self, status: int, *, keep: bool) -> None:
        self._keep = self._keep and keep
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(status)
        if not keep:
            self.abort()  # the rest of the answer is not read: the connection cannot carry more

    def _fail(self, error: HttpError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


Connector = Callable[[Target], Awaitable[Connection]]


class Origin:
    """The connections to one origin, at most ``limit`` of them; callers wait their turn in order."""

    def __init__(self, target: Target, connect: Connector, limit: int) -> None:
        self._target, self._connect, self._limit = target, connect, limit
        self._idle: list[Connection] = []  # most recently used last
        self._open = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def take(self) -> Connection | None:
        """An idle connection ready for a request, if there is one."""
        idle = self._idle
        while idle:
            connection = idle.pop()
            if connection.reusable and time.monotonic() - connection.idle_since < IDLE_SECONDS:
                return connection
            self._discard(connection)
        return None

    async def acquire(self) -> Connection:
        """An idle connection, or a new one if fewer than ``limit`` are open, or the next one
        released."""
        while True:
            connection = self.take()
            if connection is not None:
                return connection
            if self._open < self._limit:
                self._open += 1
                try:
                    return await self._connect(self._target)
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
                    self._wake()  # pass the wake-up this caller was given on to the next
                raise

    def release(self, connection: Connection) -> None:
        if connection.reusable:
            connection.idle_since = now = time.monotonic()
            self._idle.append(connection)
            # The least recently used one, if unused too long, is closed: connections are taken
            # from the other end, so an unneeded one would otherwise stay open.
            oldest = self._idle[0]
            if now - oldest.idle_since >= IDLE_SECONDS:
                del self._idle[0]
                self._discard(oldest)
        else:
            self._discard(connection)
        self._wake()

    @property
    def connections(self) -> int:
        """Connections open (idle or carrying a request)."""
        return self._open

    def _discard(self, connection: Connection) -> None:
        connection.abort()
        self._open -= 1

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        for connection in self._idle:
            connection.abort()
        self._idle.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()


class Pool:
    """POSTs over pooled keep-alive connections, at most ``limit`` to each origin, each answered
    within ``seconds`` of the call (waiting for a connection and connecting included)."""

    def __init__(self, connect: Connector, limit: int) -> None:
        self._connect, self._limit = connect, limit
        self._origins: dict[tuple[str, str, int], Origin] = {}
        self._targets: dict[str, Target] = {}

    async def post(self, url: str, body: bytes, headers: bytes, seconds: float) -> int:
        """The status answered; ``headers`` are header lines, each ending ``\\r\\n``."""
        target = self._targets.get(url)
        if target is None:
            target = self._targets[url] = target_of(url)
        key = (target.scheme, target.host, target.port)
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = Origin(target, self._connect, self._limit)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        connection = origin.take()
        if connection is None:
            async with asyncio.timeout_at(deadline):
                connection = await origin.acquire()
        request = b"%sContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
            target.head,
            len(body),
            headers,
            body,
        )
        waiter: asyncio.Future[int] = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            connection.send(request, waiter)
            return await waiter
        except BaseException:
            connection.abort()  # the connection's state is unknown: never reuse it
            raise
        finally:
            timer.cancel()
            origin.release(connection)

    def origin(self, url: str) -> Origin | None:
        """The pool's connections to ``url``'s origin, if it has called it."""
        target = target_of(url)
        return self._origins.get((target.scheme, target.host, target.port))

    def close(self) -> None:
        for origin in self._origins.values():
            origin.close()
        self._origins.clear()


def _expire(waiter: asyncio.Future[int]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("no complete answer in time"))
