"""The limit on callbacks in flight (``slots.Slots``): at most its size at once, the others let in
in the order they came, and no slot lost to a caller cancelled while it waited."""

from __future__ import annotations

import asyncio

from notify_callbacks.slots import Slots


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_at_most_its_size_are_in_at_once_and_the_others_enter_in_order() -> None:
    slots, gate = Slots(2), asyncio.Event()
    inside: list[int] = []
    entered: list[int] = []
    peak = 0

    async def call(n: int) -> None:
        nonlocal peak
        async with slots:
            inside.append(n)
            entered.append(n)
            peak = max(peak, len(inside))
            await gate.wait()
            inside.remove(n)

    tasks = [asyncio.create_task(call(n)) for n in range(6)]
    await settle()
    assert entered == [0, 1]
    gate.set()
    await asyncio.gather(*tasks)
    assert entered == [0, 1, 2, 3, 4, 5]
    assert peak == 2
    assert slots.free == 2


async def test_a_caller_cancelled_while_waiting_takes_no_slot_and_loses_none() -> None:
    slots = Slots(1)
    entered: list[str] = []

    async def call(name: str) -> None:
        async with slots:
            entered.append(name)

    await slots.__aenter__()  # the one slot is held
    waiting = asyncio.create_task(call("cancelled while waiting"))
    handed = asyncio.create_task(call("cancelled when handed the slot"))
    last = asyncio.create_task(call("last"))
    await settle()
    waiting.cancel()
    await settle()
    await slots.__aexit__(None, None, None)  # hands the slot to the next waiter...
    handed.cancel()  # ...which is cancelled before it runs: the slot passes on
    await last
    assert entered == ["last"]
    assert waiting.cancelled()
    assert handed.cancelled()
    assert slots.free == 1
