"""The callbacks service checks every connection: a callback URL that reaches inside the network
(stored before the checks existed, or a name that now resolves inside) is never called and not
retried; an allowed network is reached."""

from __future__ import annotations

import httpx

from notify_callbacks.delivery import CallbackClient, Destination
from notify_common.outbound import GuardedTransport, parse_networks
from tests.support.receiver import callback_receiver


async def test_an_internal_receiver_is_never_called_and_the_callback_not_retried() -> None:
    with callback_receiver([]) as receiver:
        async with httpx.AsyncClient(transport=GuardedTransport(httpx.AsyncHTTPTransport())) as client:
            result = await CallbackClient(client, 2.0).post(
                Destination(receiver.url, "bearer-token-0123", None), "message-1", {"id": "n"}
            )
        assert (result.succeeded, result.retryable) == (False, False)
        assert result.reason is not None
        assert "refused destination" in result.reason
        assert receiver.calls == []


async def test_a_receiver_in_an_allowed_network_is_called() -> None:
    with callback_receiver([]) as receiver:
        transport = GuardedTransport(httpx.AsyncHTTPTransport(), parse_networks("127.0.0.0/8"))
        async with httpx.AsyncClient(transport=transport) as client:
            result = await CallbackClient(client, 2.0).post(
                Destination(receiver.url, "bearer-token-0123", None), "message-1", {"id": "n"}
            )
        assert result.succeeded
        assert [c.headers["webhook-id"] for c in receiver.calls] == ["message-1"]
