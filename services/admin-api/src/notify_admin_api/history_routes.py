"""``GET /admin/services/{id}/history``: a service's configuration history, newest first, 50 a
page, filtered by time (``since`` inclusive, ``until`` exclusive, ISO 8601), by ``kind`` (a prefix:
``api_key`` matches ``api_key.created`` and ``api_key.revoked``) and by ``user`` (who made it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from notify_admin_api.routes import Admin, run
from notify_admin_api.state import State

router = APIRouter(prefix="/admin", tags=["Admin"])


@router.get("/services/{service_id}/history")
async def history(
    service_id: str,
    admin: Admin,
    state: State,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: Annotated[str | None, Query(max_length=255)] = None,
    user: Annotated[str | None, Query(max_length=255)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> dict[str, Any]:
    await run(admin.service(service_id))  # 404 for a service that does not exist
    since, until = _aware(since), _aware(until)
    found = await state.history.page(service_id, since=since, until=until, kind=kind, user=user, page=page)
    return {"data": found}


def _aware(moment: datetime | None) -> datetime | None:
    """A time given without its offset is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
