"""A tiny asyncio HTTP/1.1 server for testing the keep-alive HTTP client
(notify_common/http_client.py): it reads each request (Content-Length bodies), keeps its head and
body, and writes what a scripted ``reply`` returns for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Reply = Callable[[bytes], Awaitable[bytes | None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One request's head and its Content-Length body (``IncompleteReadError`` at the end)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head, await reader.readexactly(length)


class Server:
    """Reads each request and writes what ``reply`` returns for its body; ``None`` closes the
    connection without an answer. Counts connections and the most requests answered at once."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        self.active = 0
        self.most_active = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, path: str) -> str:
        """Starts listening; the URL of ``path`` on this server."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}{path}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head, body = await read_request(reader)
                self.heads.append(head)
                self.bodies.append(body)
                self.active += 1
                self.most_active = max(self.most_active, self.active)
                try:
                    answer = await self.reply(self.bodies[-1])
                finally:
                    self.active -= 1
                if answer is None:
                    writer.close()
                    return
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(reply: Reply, path: str) -> AsyncIterator[tuple[Server, str]]:
    """A started server answering with ``reply``, and the URL of ``path`` on it."""
    server = Server(reply)
    url = await server.start(path)
    try:
        yield server, url
    finally:
        await server.stop()


def ok(body: bytes = b'{"result":"success"}') -> bytes:
    """A 200 answer with a Content-Length body."""
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def answer_ok(_: bytes) -> bytes:
    await asyncio.sleep(0.01)
    return ok()


def header_fields(head: bytes) -> tuple[str, dict[str, str]]:
    """A request head's request line, and its header fields by lower-cased name."""
    request_line, *lines = head.decode().split("\r\n")
    return request_line, {line.partition(": ")[0].lower(): line.partition(": ")[2] for line in lines if line}
