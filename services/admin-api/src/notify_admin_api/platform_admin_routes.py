"""Admin API routes of the platform-admin tools (``platform_admin``), under
``/admin/platform-admin`` (admin token): finding a notification, live services with volumes,
complaints, the SMS providers' shares and their history, and platform-wide usage. Read only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from notify_admin_api.platform_admin import PlatformAdminReads
from notify_admin_api.routes import Admin, run
from notify_admin_api.state import State

router = APIRouter(prefix="/admin/platform-admin", tags=["Platform admin"])


async def get_reads(admin: Admin, state: State) -> PlatformAdminReads:
    """The reads, for a caller the admin API lets in (``admin`` checks the token)."""
    return PlatformAdminReads(state.store.engine)


Reads = Annotated[PlatformAdminReads, Depends(get_reads)]


class Search(BaseModel):
    search: str = Field(max_length=1000)


@router.post("/find-notifications")
async def find_notifications(body: Search, reads: Reads) -> dict[str, Any]:
    """A notification id, client reference or recipient, in the body: it never lands in a URL or
    an access log."""
    return await run(reads.find_notifications(body.search))


@router.get("/live-services")
async def live_services(
    reads: Reads, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> dict[str, Any]:
    return await run(reads.live_services(year))


@router.get("/complaints")
async def complaints(reads: Reads, page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> dict[str, Any]:
    return await run(reads.complaints(page))


@router.get("/sms-providers")
async def sms_providers(reads: Reads) -> dict[str, Any]:
    return await run(reads.sms_providers())


@router.get("/usage")
async def usage(reads: Reads, days: Annotated[int, Query(ge=1, le=366)] = 30) -> dict[str, Any]:
    return await run(reads.usage(days))
