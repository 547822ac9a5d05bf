"""Provider weights shared by every sms-sender instance, in PostgreSQL (``sms_provider_weights``),
and their history with reasons (``sms_provider_weight_changes``).

An instance proposes a change it decided on (balancer.py); the store applies it under a row lock
only if the weights are still what the instance saw and no other change happened in the last
``min_interval_s`` (so two instances seeing the same errors shift traffic once, not twice).
Instances re-read the weights every few seconds and adopt whatever is current.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_sms_sender.balancer import WeightChange

SEED = text("""
INSERT INTO sms_provider_weights (provider, weight)
SELECT * FROM unnest(CAST(:providers AS text[]), CAST(:weights AS int[]))
ON CONFLICT (provider) DO NOTHING
""")
READ = text("SELECT provider, weight, updated_at FROM sms_provider_weights")
LOCK = text("SELECT provider, weight, updated_at FROM sms_provider_weights ORDER BY provider FOR UPDATE")
WRITE = text("""
UPDATE sms_provider_weights AS w SET weight = v.weight, updated_at = now()
FROM unnest(CAST(:providers AS text[]), CAST(:weights AS int[])) AS v(provider, weight)
WHERE w.provider = v.provider
""")
HISTORY = text("""
INSERT INTO sms_provider_weight_changes (weights_before, weights_after, reason, detail)
VALUES (CAST(:before AS jsonb), CAST(:after AS jsonb), :reason, :detail)
""")
LAST_CHANGE_AGE = text("SELECT EXTRACT(EPOCH FROM now() - max(changed_at)) FROM sms_provider_weight_changes")


@dataclass(frozen=True)
class StoredWeights:
    weights: dict[str, int]
    updated_at: datetime | None


class WeightStore:
    def __init__(self, engine: AsyncEngine, min_interval_s: float = 60.0) -> None:
        self._engine, self._min_interval_s = engine, min_interval_s

    async def seed(self, resting: Mapping[str, int]) -> None:
        """Give providers seen for the first time their resting weight; keep existing ones."""
        async with self._engine.begin() as conn:
            await conn.execute(SEED, {"providers": list(resting), "weights": list(resting.values())})

    async def read(self) -> StoredWeights:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(READ)).all()
        return StoredWeights(
            weights={r.provider: r.weight for r in rows},
            updated_at=max((r.updated_at for r in rows), default=None),
        )

    async def apply(self, change: WeightChange, *, force: bool = False) -> bool:
        """Record ``change`` if nothing moved under it; True when it was applied."""
        async with self._engine.begin() as conn:
            rows = (await conn.execute(LOCK)).all()
            stored = {r.provider: r.weight for r in rows if r.provider in change.before}
            if stored != change.before:
                return False
            age = (await conn.execute(LAST_CHANGE_AGE)).scalar()
            if not force and age is not None and float(age) < self._min_interval_s:
                return False
            await conn.execute(
                WRITE, {"providers": list(change.after), "weights": list(change.after.values())}
            )
            await conn.execute(
                HISTORY,
                {
                    "before": json.dumps(change.before, sort_keys=True),
                    "after": json.dumps(change.after, sort_keys=True),
                    "reason": change.reason,
                    "detail": change.detail,
                },
            )
        return True
