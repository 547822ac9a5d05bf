"""A callback receiver for bench/callbacks and bench/platform, run as its own process so its CPU is
not counted: answers every POST with 200 (keep-alive), a GET with how many POSTs it has had, and a
GET of ``/connections`` with how many connections it has accepted (each one a TLS handshake: a
client that keeps its connections alive opens few).

    .venv/bin/python bench/callbacks/receiver.py PORT [CERT_PEM KEY_PEM]

With a certificate and key it serves HTTPS (callback URLs given through the admin API and CLI must
be https; both benchmarks use it so). It is an aiohttp server on one event loop, a little cheaper
per request than a thread per connection (``http.server``): on a shared machine the receiver's CPU
is taken from the platform being measured.
"""

from __future__ import annotations

import ssl
import sys

from aiohttp import web

received = 0
connections = 0


async def callback(request: web.Request) -> web.Response:
    global received
    await request.read()
    received += 1
    return web.Response(status=200)


def handshake(*_: object) -> None:
    """Called by OpenSSL at every TLS handshake (``sni_callback``, with or without a name): one per
    connection accepted."""
    global connections
    connections += 1


async def count(request: web.Request) -> web.Response:
    return web.Response(text=str(connections if request.path == "/connections" else received))


def main(argv: list[str]) -> None:
    app = web.Application()
    app.router.add_post("/{tail:.*}", callback)
    app.router.add_get("/{tail:.*}", count)
    context = None
    if len(argv) == 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(argv[2], argv[3])
        context.sni_callback = handshake
    web.run_app(app, host="127.0.0.1", port=int(argv[1]), ssl_context=context, access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv)
