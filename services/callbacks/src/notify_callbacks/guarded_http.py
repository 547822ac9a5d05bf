"""The HTTP client callbacks are sent with: one pooled aiohttp session (keep-alive connections,
TLS verified against the system's trust store or ``SSL_CERT_FILE``) that connects only to allowed
addresses (``notify_common.outbound``: public ones, or the networks a self-hoster allows).

Every host name is resolved by ``GuardedResolver``, which refuses the whole answer when any address
in it is not allowed; aiohttp then connects only to addresses from that answer (and re-uses it
for at most ``DNS_CACHE_SECONDS``), so a name that later resolves inside the network, "DNS
rebinding", gains nothing. aiohttp does not resolve an address written in the URL itself, so
``GuardedSession.post`` checks such an address before anything is sent. Redirects are never
followed, and no proxy or cookie from the environment is used.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from notify_common.outbound import Network, UnsafeDestinationError, address_allowed

# How long a checked answer for a host name is re-used before the name is resolved (and checked)
# again.
DNS_CACHE_SECONDS = 10
# A response body up to this size is read so the connection can carry the next callback; a larger
# one (or one of unknown length) is not read, and its connection is closed.
MAX_READ_BYTES = 64 * 1024
REFUSED = "url must point to a public address on the internet"


class GuardedResolver(AbstractResolver):
    """Resolves with ``inner`` (aiohttp's default resolver) and refuses any answer holding an
    address that is not allowed (a name resolving to one public and one internal address is
    refused: the connection could go to either)."""

    def __init__(self, allowed: tuple[Network, ...] = (), inner: AbstractResolver | None = None) -> None:
        self._allowed = allowed
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        addresses = [ipaddress.ip_address(answer["host"].split("%", 1)[0]) for answer in answers]
        if not addresses or not all(address_allowed(a, self._allowed) for a in addresses):
            raise UnsafeDestinationError(REFUSED)
        return answers

    async def close(self) -> None:
        await self._inner.close()


class GuardedSession:
    """POSTs to URLs a service chose, only ever reaching allowed addresses. Create it inside the
    event loop that uses it; ``close`` it when done."""

    def __init__(self, allowed: tuple[Network, ...] = (), *, connections: int = 100) -> None:
        self._allowed = allowed
        connector = aiohttp.TCPConnector(
            limit=connections,
            resolver=GuardedResolver(allowed),
            ttl_dns_cache=DNS_CACHE_SECONDS,
            ssl=ssl.create_default_context(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
        )

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], deadline: aiohttp.ClientTimeout
    ) -> int:
        """The status the receiver answered within ``deadline``; raises ``UnsafeDestinationError``
        (nothing sent) for a destination that is not allowed, ``aiohttp.ClientError`` or
        ``TimeoutError`` otherwise."""
        target = URL(url)
        self._check_literal(target.raw_host or "")
        async with self._session.post(
            target, data=body, headers=headers, timeout=deadline, allow_redirects=False
        ) as response:
            length = response.content_length
            if length is not None and length <= MAX_READ_BYTES:
                await response.read()
            return response.status

    def _check_literal(self, host: str) -> None:
        try:
            address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        except ValueError:
            return  # a name: the resolver checks what it resolves to
        if not address_allowed(address, self._allowed):
            raise UnsafeDestinationError(REFUSED)

    async def close(self) -> None:
        await self._session.close()
