"""Reading a service as a member of its organisation's team (docs/organisations.md): as in Notify,
the organisation's team sees its services' dashboard, templates, team and usage, read only, without
being members of the services. ``security.enforce`` asks ``organisation_reader`` when a person
lacks a service page's permission."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from notify_admin_console.api import AdminApi, AdminApiError

# The service pages (GET only) an organisation's team may read.
ORGANISATION_READABLE = frozenset(
    {
        "/services/{service_id}",
        "/services/{service_id}/templates",
        "/services/{service_id}/users",
        "/services/{service_id}/usage",
    }
)


async def organisation_reader(request: Request, api: AdminApi, user: dict[str, Any], service_id: str) -> bool:
    """Whether the person may read this page of the service as a member of its organisation's team."""
    route = getattr(request.scope.get("route"), "path", None)
    if request.method != "GET" or route not in ORGANISATION_READABLE:
        return False
    try:
        service = await api.get(f"/admin/services/{service_id}")
        theirs = await api.get(f"/admin/console/users/{user['id']}/organisations")
    except AdminApiError:
        return False
    organisation_id = service.get("organisation_id") if isinstance(service, dict) else None
    return bool(organisation_id) and organisation_id in {o["id"] for o in theirs or []}
