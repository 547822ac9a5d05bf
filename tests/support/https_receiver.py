"""A callback receiver over HTTPS on loopback, with a self-signed certificate made for it (callback
URLs must be https). It runs in a process of its own, so its TLS work never slows the test's load
generator. It answers 200 (503 on paths ending in ``/failing``, for a receiver that is down) and
appends every request, one JSON line each, to a file: its path, its ``webhook-id`` header, its
body and when it came. Connections are kept alive (HTTP/1.1), so a burst of callbacks is not a burst of TLS
handshakes. A platform process trusts the certificate when started with ``SSL_CERT_FILE`` set to
``HttpsReceiver.certificate``."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.env import ROOT
from tests.support.platform import free_ports


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str | None
    status: int  # what the receiver answered
    body: dict[str, Any]
    at: float  # when it was received (epoch seconds)


@dataclass
class HttpsReceiver:
    url: str  # its base URL: any path below it is received
    certificate: Path
    received: Path

    def requests(self) -> list[Received]:
        """Every request received so far, in order."""
        if not self.received.exists():
            return []
        lines = self.received.read_text().splitlines()
        return [Received(**json.loads(line)) for line in lines if line.strip()]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with openssl."""
    cert, key = directory / "receiver.pem", directory / "receiver.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def serve(port: int, cert: Path, key: Path, received: Path) -> None:
    lock = threading.Lock()
    out = received.open("a")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = 503 if self.path.endswith("/failing") else 200
            line = {
                "path": self.path,
                "webhook_id": self.headers.get("webhook-id"),
                "status": status,
                "body": json.loads(body),
                "at": time.time(),
            }
            with lock:
                out.write(json.dumps(line) + "\n")
                out.flush()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


@contextmanager
def https_receiver(directory: Path) -> Iterator[HttpsReceiver]:
    cert, key = self_signed_certificate(directory)
    port = free_ports(1)[0]
    received = directory / "received.jsonl"
    log = (directory / "receiver.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.https_receiver", str(port), str(cert), str(key), str(received)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        context = ssl.create_default_context(cafile=str(cert))
        deadline = time.monotonic() + 30
        while True:
            try:
                with (
                    socket.create_connection(("127.0.0.1", port), timeout=1) as sock,
                    context.wrap_socket(sock, server_hostname="127.0.0.1"),
                ):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield HttpsReceiver(f"https://127.0.0.1:{port}", cert, received)
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
