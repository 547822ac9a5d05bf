"""Provider weights shared through PostgreSQL: one instance's change reaches the others, every
change is recorded with its reason, and two instances seeing the same errors shift traffic once."""

from __future__ import annotations

import random

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_sms_sender.balancer import BalancingRules, ProviderBalancer
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.provider_selector import ProviderSelector
from notify_sms_sender.weights import WeightStore

RESTING = {"mmg": 51, "firetext": 49}


async def reset(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM sms_provider_weights"))
        await conn.execute(text("DELETE FROM sms_provider_weight_changes"))


def instance(engine: AsyncEngine) -> ProviderSelector:
    balancer = ProviderBalancer(dict(RESTING), BalancingRules(error_threshold=3))
    return ProviderSelector(
        balancer, WeightStore(engine, min_interval_s=60), DeliveryTimes(), rng=random.Random(2)
    )


async def test_a_change_made_by_one_instance_is_recorded_once_and_adopted_by_the_others(
    engine: AsyncEngine,
) -> None:
    await reset(engine)
    first, second = instance(engine), instance(engine)
    await first.start()
    await second.start()
    for _ in range(4):
        first.failed("mmg")
        second.failed("mmg")  # the same outage, seen by both
    await first.refresh()
    await second.refresh()
    assert first.balancer.current == second.balancer.current == {"mmg": 41, "firetext": 59}
    async with engine.connect() as conn:
        changes = (
            await conn.execute(
                text("SELECT reason, weights_before, weights_after, detail FROM sms_provider_weight_changes")
            )
        ).all()
    assert len(changes) == 1
    reason, before, after, detail = changes[0]
    assert (reason, before, after) == ("errors", RESTING, {"mmg": 41, "firetext": 59})
    assert "errors from mmg" in detail


async def test_weights_already_stored_win_over_the_configured_resting_points(engine: AsyncEngine) -> None:
    await reset(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO sms_provider_weights (provider, weight) VALUES ('mmg', 20), ('firetext', 80)")
        )
    selector = instance(engine)
    await selector.start()
    assert selector.balancer.current == {"mmg": 20, "firetext": 80}
