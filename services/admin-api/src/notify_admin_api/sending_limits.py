"""A service's annual sending limits (docs/limits.md): ``GET`` shows them with what this financial
year has used of each (the api-gateway's counters in Redis) and what is left, beside the daily
limits; ``PUT`` changes them (a platform admin's change, kept in the service's history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.history_notes import note
from notify_admin_api.routes import Admin, run
from notify_admin_api.service_history import changes_between
from notify_admin_api.state import State
from notify_admin_api.tables.audit import service_annual_limits
from notify_common.annual_limits import CHANNELS, DEFAULT_ANNUAL_LIMITS, WARNING_PERCENTAGES, financial_year
from notify_common.ratelimit import Limiter

router = APIRouter(prefix="/admin", tags=["Admin"])


class AnnualLimitChanges(BaseModel):
    """Left out, a channel's limit stays as it is."""

    sms: int | None = Field(default=None, ge=0)
    email: int | None = Field(default=None, ge=0)
    letter: int | None = Field(default=None, ge=0)


class AnnualLimitsStore:
    """Without ``redis`` (the command line's), what a year has used is not known."""

    def __init__(self, engine: AsyncEngine, redis: Redis | None = None) -> None:  # type: ignore[type-arg]
        self.engine = engine
        self.redis = redis

    async def limits(self, service_id: str) -> dict[str, int]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(service_annual_limits).where(service_annual_limits.c.service_id == service_id)
                )
            ).first()
        if row is None:
            return dict(DEFAULT_ANNUAL_LIMITS)
        return {c: int(getattr(row, f"{c}_annual_limit")) for c in CHANNELS}

    async def set_limits(self, service_id: str, changes: dict[str, int]) -> dict[str, int]:
        limits = {**await self.limits(service_id), **changes}
        values = {f"{c}_annual_limit": limits[c] for c in CHANNELS}
        statement = insert(service_annual_limits).values(service_id=service_id, **values)
        async with self.engine.begin() as conn:
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["service_id"],
                    set_={**values, "updated_at": statement.excluded.updated_at},
                )
            )
        return limits

    async def used(self, service_id: str, year: int) -> dict[str, int | None]:
        """This year's count per channel; None for each when Redis cannot say."""
        if self.redis is None:
            return dict.fromkeys(CHANNELS)
        keys = [Limiter.annual_key(service_id, c, year) for c in CHANNELS]
        try:
            values = await self.redis.mget(keys)
        except RedisError:
            return dict.fromkeys(CHANNELS)
        return {c: int(v or 0) for c, v in zip(CHANNELS, values, strict=True)}


async def annual_limits_store(state: State) -> AnnualLimitsStore:
    return AnnualLimitsStore(state.store.engine, state.redis)


Limits = Annotated[AnnualLimitsStore, Depends(annual_limits_store)]


async def _overview(store: AnnualLimitsStore, admin: Admin, service_id: str) -> dict[str, Any]:
    service = (await run(admin.service(service_id)))["data"]
    limits = await store.limits(service_id)
    year = financial_year()
    used = await store.used(service_id, year)
    channels = {}
    for c in CHANNELS:
        count = used[c]
        channels[c] = {
            "annual_limit": limits[c],
            "used": count,
            "remaining": None if count is None else max(0, limits[c] - count),
            "daily_limit": service[f"{c}_message_limit"],
        }
    return {
        "data": {
            "financial_year": year,
            "warning_percentages": list(WARNING_PERCENTAGES),
            "channels": channels,
        }
    }


@router.get("/services/{service_id}/annual-limits")
async def annual_limits(service_id: str, admin: Admin, store: Limits) -> dict[str, Any]:
    return await _overview(store, admin, service_id)


@router.put("/services/{service_id}/annual-limits")
async def set_annual_limits(
    request: Request, service_id: str, body: AnnualLimitChanges, admin: Admin, store: Limits
) -> dict[str, Any]:
    await run(admin.service(service_id))  # 404 for a service that does not exist
    before = await store.limits(service_id)
    after = await store.set_limits(service_id, body.model_dump(exclude_none=True))
    changed = changes_between(
        {f"{c}_annual_limit": v for c, v in before.items()},
        {f"{c}_annual_limit": v for c, v in after.items()},
        [f"{c}_annual_limit" for c in CHANNELS],
    )
    note(request, service_id, "annual_limits.updated", changes=changed)
    return await _overview(store, admin, service_id)
