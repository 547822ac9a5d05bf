"""Where the platform may send requests that a service chose the address of (callback URLs): only
to public addresses on the internet, never into the network the platform runs in.

A URL is checked twice: when it is set (shape, and every address its host resolves to now) and at
every connection (the host is resolved again and the connection is made to an address that was
just checked, so a name that later resolves to an internal address, "DNS rebinding", gains
nothing). Self-hosters whose receivers are internal list their networks in
``NOTIFY_CALLBACK_ALLOWED_NETWORKS``."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeDestinationError(ValueError):
    """A URL the platform will not send requests to; the message says why, without the URL."""


class UnresolvedHostError(UnsafeDestinationError):
    """The host name does not resolve (now): nothing can be sent to it."""


def parse_networks(value: str) -> tuple[Network, ...]:
    """``"10.1.0.0/16, 192.168.5.7"`` into networks; refuses anything else with a clear message."""
    networks: list[Network] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"not a network or address: {item!r}") from exc
    return tuple(networks)


def _unmapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def address_allowed(address: Address, allowed: Iterable[Network] = ()) -> bool:
    """Public unicast addresses only (not loopback, private, link-local, shared, multicast,
    reserved or unspecified), unless the address is in an allowed network."""
    address = _unmapped(address)
    if any(address in network for network in allowed):
        return True
    return address.is_global and not address.is_multicast


def check_shape(url: str) -> SplitResult:
    """https, a host, no user or password, a valid port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestinationError("url is not a valid https url") from exc
    if parts.scheme != "https" or not parts.hostname:
        raise UnsafeDestinationError("url is not a valid https url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeDestinationError("url must not contain a user name or password")
    if port == 0:
        raise UnsafeDestinationError("url is not a valid https url")
    return parts


async def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to now (an address literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnresolvedHostError("url's host name does not resolve") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def checked_addresses(host: str, port: int, allowed: Iterable[Network] = ()) -> list[Address]:
    """The host's addresses, refused when any of them is not allowed (a name that resolves to one
    public and one internal address is refused: the connection could go to either)."""
    networks = tuple(allowed)
    addresses = await resolve(host, port)
    if not addresses or not all(address_allowed(a, networks) for a in addresses):
        raise UnsafeDestinationError("url must point to a public address on the internet")
    return addresses


async def check_url(url: str, allowed: Iterable[Network] = (), resolve_timeout: float = 3.0) -> None:
    """The check made when a callback URL is set: its shape, and every address its host resolves to
    now. A name that does not resolve yet (a receiver not yet live) is taken: every connection is
    checked again (``GuardedTransport``), so it can never reach inside."""
    parts = check_shape(url)
    try:
        async with asyncio.timeout(resolve_timeout):
            await checked_addresses(parts.hostname or "", parts.port or 443, allowed)
    except UnresolvedHostError:
        return
    except TimeoutError:
        return


@dataclass(frozen=True)
class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that resolves each request's host itself, refuses internal addresses and
    connects to the address it checked, keeping the host name for TLS (SNI and certificate checks)
    and the Host header. Redirects are never followed (httpx follows none unless asked)."""

    inner: httpx.AsyncBaseTransport
    allowed: tuple[Network, ...] = ()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        addresses = await checked_addresses(host, port, self.allowed)
        pinned = str(addresses[0])
        request.url = request.url.copy_with(host=pinned)
        request.extensions = {**request.extensions, "sni_hostname": host}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
