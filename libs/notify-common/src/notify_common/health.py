"""A tiny HTTP server for services that have no API of their own (the Kafka consumers):
``/healthz`` (liveness: the event loop answers), ``/readyz`` (readiness: the service says it can
do its work) and ``/metrics`` (Prometheus). Built on asyncio streams to add no dependency."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

Readiness = Callable[[], Awaitable[bool]]


class HealthServer:
    def __init__(self, host: str, port: int, ready: Readiness) -> None:
        self.host, self.port, self._ready = host, port, ready
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            while (await asyncio.wait_for(reader.readline(), timeout=5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request_line.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else "/"
            status, ctype, body = await self._respond(path)
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, path: str) -> tuple[str, str, bytes]:
        if path == "/healthz":
            return "200 OK", "application/json", b'{"status":"ok"}'
        if path == "/readyz":
            try:
                ready = await asyncio.wait_for(self._ready(), timeout=5)
            except Exception:
                ready = False
            if ready:
                return "200 OK", "application/json", b'{"status":"ready"}'
            return "503 Service Unavailable", "application/json", b'{"status":"not ready"}'
        if path == "/metrics":
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest()
        return "404 Not Found", "application/json", b'{"status":"not found"}'
