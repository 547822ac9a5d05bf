"""The callbacks service checks every connection: a callback URL that reaches inside the network
(stored before the checks existed, or a name that now resolves inside) is never called and not
retried; an allowed network is reached."""

from __future__ import annotations

import ipaddress

import pytest

from notify_callbacks.delivery import CallbackClient, Destination
from notify_callbacks.guarded_http import GuardedResolver, GuardedSession
from notify_common.outbound import Address, UnsafeDestinationError, parse_networks
from tests.support.receiver import callback_receiver

LOOPBACK = parse_networks("127.0.0.0/8, ::1/128")


async def test_an_internal_receiver_is_never_called_and_the_callback_not_retried() -> None:
    with callback_receiver([]) as receiver:
        session = GuardedSession()
        try:
            client = CallbackClient(session, 2.0)
            destination = Destination(receiver.url, "bearer-token-0123", None)
            results = [await client.post(destination, f"message-{n}", {"id": "n"}) for n in (1, 2)]
        finally:
            await session.close()
        for result in results:  # every time, not only when the address is first seen
            assert (result.succeeded, result.retryable) == (False, False)
            assert result.reason is not None
            assert "refused destination" in result.reason
        assert receiver.calls == []


async def test_a_name_that_resolves_inside_the_network_is_never_called() -> None:
    with callback_receiver([]) as receiver:
        by_name = receiver.url.replace("127.0.0.1", "localhost")
        session = GuardedSession()
        try:
            result = await CallbackClient(session, 2.0).post(
                Destination(by_name, "bearer-token-0123", None), "message-1", {"id": "n"}
            )
        finally:
            await session.close()
        assert (result.succeeded, result.retryable) == (False, False)
        assert result.reason == "refused destination: url must point to a public address on the internet"
        assert receiver.calls == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_receiver_in_an_allowed_network_is_called(host: str) -> None:
    with callback_receiver([]) as receiver:
        session = GuardedSession(LOOPBACK)
        try:
            result = await CallbackClient(session, 2.0).post(
                Destination(receiver.url.replace("127.0.0.1", host), "bearer-token-0123", None),
                "message-1",
                {"id": "n"},
            )
        finally:
            await session.close()
        assert result.succeeded
        assert [c.headers["webhook-id"] for c in receiver.calls] == ["message-1"]


class Answers:
    """A resolver that answers every name with the given addresses, counting the questions."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        self.asked = 0

    async def __call__(self, host: str, port: int) -> list[Address]:
        self.asked += 1
        return list(self.addresses)


@pytest.mark.parametrize(
    "addresses",
    [("10.0.0.7",), ("93.184.216.34", "10.0.0.7"), ("93.184.216.34", "::ffff:127.0.0.1"), ("fe80::1%eth0",)],
)
async def test_every_resolution_is_refused_when_any_address_in_it_is_internal(
    addresses: tuple[str, ...],
) -> None:
    answers = Answers(*addresses)
    resolver = GuardedResolver((), answers)
    for _ in range(2):  # a refusal is not kept: the name is resolved and checked again
        with pytest.raises(UnsafeDestinationError):
            await resolver.resolve("receiver.example", 443)
    assert answers.asked == 2


async def test_a_resolution_of_public_addresses_is_used_as_it_is_and_kept_a_while() -> None:
    now = [0.0]
    answers = Answers("93.184.216.34", "2606:2800:220:1::1")
    resolver = GuardedResolver((), answers, clock=lambda: now[0])
    found = await resolver.resolve("receiver.example", 443)
    assert [str(a) for a in found] == ["93.184.216.34", "2606:2800:220:1::1"]
    now[0] = 9.9
    await resolver.resolve("receiver.example", 443)
    assert answers.asked == 1
    now[0] = 10.0  # DNS_CACHE_SECONDS later: resolved (and checked) again
    answers.addresses = [ipaddress.ip_address("10.0.0.7")]
    with pytest.raises(UnsafeDestinationError):
        await resolver.resolve("receiver.example", 443)
    assert answers.asked == 2
