"""uvicorn's httptools protocol, answering a response of known length in one socket write.

uvicorn writes a response's status line and headers as soon as the app sends
``http.response.start``, then the body when it sends ``http.response.body``: two ``write``
syscalls (and two TCP segments) for every answer, though nearly every answer's body follows its
start at once. Here a connection's request cycles write through a :class:`_OneWrite`, which holds
the head of a response of known length (a ``content-length``, or no body: HEAD, 204, 304) until
its first body write and joins the two; a head still held when the response ends with no body
written, or when the connection is closed, is written then. The bytes on the wire, their order,
keep-alive and ``Connection: close`` are uvicorn's own; the one difference is that the head of a
fixed-length answer whose body the app sends later (a file read in parts) leaves with the body's
first part rather than before it. A chunked (streaming) answer's head is written at once, as
uvicorn does, and so is ``100 Continue`` (the client waits for it before sending its body).

Nothing is scheduled per response (no callback at the end of the loop's turn): a holder per
connection and two method overrides, so the write saved is not spent again in Python. Built on
uvicorn's extension points (the protocol class is ``Config(http=...)``); the cycle's transport is
swapped when its task is started, before it first runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

# A head is joined to a body of up to this many bytes (a copy of both); a larger body follows its
# head in a write of its own.
_JOIN_AT_MOST = 64 * 1024


class _OneWrite:
    """The transport a connection's request cycles write through: they only write, close and ask
    whether it is closing (anything else is passed to the connection's own transport). One per
    connection: a connection's cycles answer one at a time, pipelined requests waiting their turn.
    """

    __slots__ = ("_cycle", "_fresh", "_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._cycle: RequestResponseCycle | None = None
        self._fresh = False  # the current cycle's head has not been written yet

    def begin(self, cycle: RequestResponseCycle) -> None:
        self._cycle = cycle
        self._fresh = True

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if len(data) <= _JOIN_AT_MOST:
                self._transport.write(head + data)
                return
            self._transport.write(head)  # a large body is not copied to save one syscall
        elif self._fresh and self._cycle.response_started:  # type: ignore[union-attr]
            self._fresh = False
            if not self._cycle.chunked_encoding:  # type: ignore[union-attr]
                self._head = data  # a head of known length: held for its body
                return
        # A streaming head, a body part, or ``100 Continue`` (written before the response starts).
        self._transport.write(data)

    def flush(self) -> None:
        """Writes a head still held (a response that ended with no body written, or is closing)."""
        head = self._head
        if head is not None:
            self._head = None
            if not self._transport.is_closing():  # as uvicorn, nothing written to a gone client
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` whose request cycles write through a :class:`_OneWrite`."""

    _one_write: _OneWrite

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._one_write = _OneWrite(transport)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        # Every cycle starts here, at once or after the pipelined requests before it: its writes
        # from now on are the connection's only ones.
        cycle.transport = self._one_write  # type: ignore[assignment]
        self._one_write.begin(cycle)
        super()._start_asgi_task(cycle, app)

    def on_response_complete(self) -> None:
        self._one_write.flush()  # a bodiless answer (HEAD) ends with its head still held
        super().on_response_complete()
