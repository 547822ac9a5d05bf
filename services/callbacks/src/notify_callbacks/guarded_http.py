"""The HTTP client callbacks are sent with: pooled keep-alive connections (``http_pool``), TLS
verified against the system's trust store or ``SSL_CERT_FILE``, that only ever connect to allowed
addresses (``notify_common.outbound``: public ones, or the networks a self-hoster allows).

Every new connection first resolves its host with ``GuardedResolver``, which refuses the whole
answer when any address in it is not allowed (an address written in the URL resolves to itself and
is checked the same way); the connection is then made to an address of that answer, with the URL's
host name kept for TLS (SNI and the certificate's check) and the ``Host`` header. A checked answer
is re-used for at most ``DNS_CACHE_SECONDS``, so a name that later resolves inside the network,
"DNS rebinding", gains nothing. Redirects are never followed (a 3xx is the answer), and no proxy
or cookie is used.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping

from notify_callbacks.http_pool import ConnectFailed, Connection, Pool, Target, header_lines
from notify_common import outbound
from notify_common.outbound import Address, Network, UnresolvedHostError, UnsafeDestinationError

# How long a checked answer for a host name is re-used before the name is resolved (and checked)
# again.
DNS_CACHE_SECONDS = 10
REFUSED = "url must point to a public address on the internet"

Resolve = Callable[[str, int], Awaitable[list[Address]]]


class CertificateRefused(ConnectFailed):
    """The receiver's TLS certificate is not valid for its host name (or not trusted)."""


class GuardedResolver:
    """Resolves with ``resolve`` (the system's resolver) and refuses any answer holding an address
    that is not allowed (a name resolving to one public and one internal address is refused: the
    connection could go to either). Allowed answers are kept ``DNS_CACHE_SECONDS``; refusals are
    not kept, so every connection is checked."""

    def __init__(
        self,
        allowed: tuple[Network, ...] = (),
        resolve: Resolve = outbound.resolve,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allowed, self._resolve, self._clock = allowed, resolve, clock
        self._answers: dict[tuple[str, int], tuple[float, list[Address]]] = {}

    async def resolve(self, host: str, port: int) -> list[Address]:
        kept = self._answers.get((host, port))
        if kept is not None and self._clock() < kept[0]:
            return kept[1]
        addresses = await self._resolve(host, port)
        if not addresses or not all(outbound.address_allowed(a, self._allowed) for a in addresses):
            raise UnsafeDestinationError(REFUSED)
        self._answers[(host, port)] = (self._clock() + DNS_CACHE_SECONDS, addresses)
        return addresses


class GuardedSession:
    """POSTs to URLs a service chose, only ever reaching allowed addresses, at most ``connections``
    connections to one origin, verifying certificates with ``tls`` (by default the system's trust
    store, or ``SSL_CERT_FILE``). Create it inside the event loop that uses it; ``close`` it when
    done."""

    def __init__(
        self,
        allowed: tuple[Network, ...] = (),
        *,
        connections: int = 100,
        resolver: GuardedResolver | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._resolver = resolver or GuardedResolver(allowed)
        self._tls = tls or ssl.create_default_context()
        self._pool = Pool(self._connect, connections)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], seconds: float) -> int:
        """The status the receiver answered within ``seconds`` (a JSON ``body``). Raises
        ``UnsafeDestinationError`` (nothing sent) for a destination that is not allowed, an
        ``http_pool.HttpError`` (``InvalidUrl``, ``InvalidHeader``, ``ConnectFailed``,
        ``Disconnected``) or ``TimeoutError`` otherwise."""
        return await self._pool.post(url, body, header_lines(headers), seconds)

    def connections(self, url: str) -> int:
        """Connections open to ``url``'s origin."""
        origin = self._pool.origin(url)
        return 0 if origin is None else origin.connections

    async def _connect(self, target: Target) -> Connection:
        try:
            addresses = await self._resolver.resolve(target.host, target.port)
        except UnresolvedHostError as exc:  # maybe not yet live: worth trying again later
            raise ConnectFailed("host name does not resolve") from exc
        tls = self._tls if target.scheme == "https" else None
        loop = asyncio.get_running_loop()
        failure: OSError | None = None
        for address in addresses:
            try:
                _, connection = await loop.create_connection(
                    Connection,
                    str(address),
                    target.port,
                    ssl=tls,
                    server_hostname=target.host if tls is not None else None,
                )
            except ssl.SSLCertVerificationError as exc:
                raise CertificateRefused("certificate not valid for the host") from exc
            except OSError as exc:
                failure = exc
                continue
            return connection
        raise ConnectFailed(f"could not connect: {type(failure).__name__}") from failure

    async def close(self) -> None:
        self._pool.close()
