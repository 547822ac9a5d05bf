"""A callback receiver for bench/callbacks and bench/platform, run as its own process so its CPU is
not counted: answers every POST with 200 (keep-alive), a GET with how many POSTs it has had, and a
GET of ``/connections`` with how many connections it has accepted (each one a TLS handshake: a
client that keeps its connections alive opens few).

    .venv/bin/python bench/callbacks/receiver.py PORT [CERT_PEM KEY_PEM]

With a certificate and key it serves HTTPS (callback URLs given through the admin API and CLI must
be https; both benchmarks use it so). It is an ``asyncio.Protocol`` on uvloop with httptools
parsing the requests: on a shared machine the receiver's CPU is taken from the platform being
measured, and a general server (aiohttp: request and response objects, routing, a task per
request) cost several times as much per callback as answering from the parser's callbacks.
"""

from __future__ import annotations

import asyncio
import ssl
import sys

import httptools
import uvloop

received = 0
connections = 0

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
OK_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Answer(asyncio.Protocol):
    """One connection: each request answered as soon as it is complete, in order."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    # httptools callbacks
    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_message_complete(self) -> None:
        global received
        assert self.transport is not None
        method, url, self.url = self.parser.get_method(), self.url, b""
        keep = self.parser.should_keep_alive()
        if method == b"POST":
            received += 1
            self.transport.write(OK if keep else OK_CLOSE)
        elif method == b"GET":
            text = str(connections if url.split(b"?")[0] == b"/connections" else received).encode()
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % len(text)
            self.transport.write(head + (b"\r\n" if keep else b"Connection: close\r\n\r\n") + text)
        else:
            self.transport.write(NOT_FOUND)
            keep = False
        if not keep:
            self.transport.close()


def handshake(*_: object) -> None:
    """Called by OpenSSL at every TLS handshake (``sni_callback``, with or without a name): one per
    connection accepted."""
    global connections
    connections += 1


async def serve(port: int, context: ssl.SSLContext | None) -> None:
    loop = asyncio.get_running_loop()

    def accepted() -> Answer:
        global connections
        if context is None:  # no handshake to count
            connections += 1
        return Answer()

    server = await loop.create_server(accepted, "127.0.0.1", port, ssl=context, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> None:
    context = None
    if len(argv) == 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(argv[2], argv[3])
        context.sni_callback = handshake
    uvloop.run(serve(int(argv[1]), context))


if __name__ == "__main__":
    main(sys.argv)
