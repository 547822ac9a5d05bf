"""Admin API routes for the console's API integration, settings and usage pages, under
``/admin/console`` (same bearer token as the rest of the admin API):

* the API message log: the last 50 notifications sent with the service's own API keys (not CSV
  jobs, not the console's one-off messages), newest first;
* changing a callback's URL while keeping its bearer token (which is never shown back);
* going live: the checklist, a request that records who asked, the pending requests for platform
  admins, and the approval (the console makes the service live with ``PATCH /admin/services/{id}``);
* billing for a financial year: text message fragments against the free allowance, emails, and
  letters by postage, per month, with costs at the platform's prices (``prices``: the API's SMS
  rate, the configured free allowance and letter prices).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import and_, insert, text, update
from sqlalchemy.exc import IntegrityError

from notify_admin_api.console_routes import CONSOLE_KEY_NAME
from notify_admin_api.organisations import OrganisationStore, agreement_task
from notify_admin_api.routes import Admin, run
from notify_admin_api.settings import AdminApiSettings
from notify_admin_api.state import State
from notify_admin_api.store import CALLBACK_TYPES, AdminError, AdminStore
from notify_admin_api.tables.go_live import go_live_requests
from notify_admin_api.tables.service_settings import service_callback_api
from notify_common.pricing import sms_rate_on

router = APIRouter(prefix="/admin/console", tags=["Admin console"])

MESSAGE_LOG_SIZE = 50
INCOMPLETE = "Some of the tasks on this page are incomplete"


def prices(settings: AdminApiSettings, year: int) -> dict[str, Any]:
    """A financial year's prices in pounds: the SMS rate the API reports (rates change on 1 April,
    so one rate a financial year), the configured free allowance and letter prices by postage."""
    return {
        "sms_fragment": sms_rate_on(date(year, 4, 1)),
        "free_sms_fragments": settings.billing_free_sms_fragments,
        "letter": dict(settings.billing_letter_prices),
    }


LETTER_DEFAULT_POSTAGE = "second"

MESSAGE_LOG = text("""
SELECT n.id, n.notification_type, n.status, coalesce(n.recipient_as_sent, n.recipient) AS recipient,
       n.client_reference, n.created_at, n.sent_at,
       n.updated_at, n.key_type, k.name AS key_name, t.name AS template_name
FROM projection_notifications n
JOIN api_keys k ON k.id = n.api_key_id
LEFT JOIN templates t ON t.id = n.template_id
WHERE n.service_id = :service_id AND n.job_id IS NULL AND n.created_at IS NOT NULL
  AND k.name <> :console_key
ORDER BY n.created_at DESC LIMIT :limit
""")
CHECKLIST_FACTS = text("""
SELECT
  (SELECT count(*) FROM templates WHERE service_id = :service_id AND NOT archived) AS templates,
  (SELECT count(*) FROM templates
     WHERE service_id = :service_id AND NOT archived AND template_type = 'email') AS email_templates,
  (SELECT count(*) FROM console_user_services
     WHERE service_id = :service_id AND 'manage_service' = ANY(permissions)) AS managers,
  (SELECT count(*) FROM service_email_reply_to WHERE service_id = :service_id) AS reply_to
""")
REQUESTS = text("""
SELECT r.id, r.service_id, s.name AS service_name, r.status, r.checklist, r.created_at, r.requested_by,
       u.name AS requested_by_name, u.email_address AS requested_by_email, r.decided_at
FROM go_live_requests r
JOIN services s ON s.id = r.service_id
LEFT JOIN console_users u ON u.id = r.requested_by
WHERE {condition}
ORDER BY r.created_at DESC
""")
BILLING = text("""
SELECT date_trunc('month', bst_date)::date AS month, notification_type, postage,
       sum(billable_units * rate_multiplier) AS units, sum(notifications_sent) AS sent
FROM projection_ft_billing WHERE service_id = :service_id AND bst_date >= :start AND bst_date < :end
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
""")


class NewGoLiveRequest(BaseModel):
    requested_by: str | None = None


class Decision(BaseModel):
    decided_by: str | None = None


class CallbackUrl(BaseModel):
    url: str = Field(max_length=255)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _row(row: Any) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else _iso(v)) for k, v in dict(row).items()}


def financial_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


# ---- the API message log --------------------------------------------------------------------


async def _message_log(admin: AdminStore, service_id: str) -> list[dict[str, Any]]:
    async with admin.engine.connect() as conn:
        rows = (
            await conn.execute(
                MESSAGE_LOG,
                {"service_id": service_id, "console_key": CONSOLE_KEY_NAME, "limit": MESSAGE_LOG_SIZE},
            )
        ).mappings()
        return [_row(r) for r in rows]


@router.get("/services/{service_id}/api-message-log")
async def api_message_log(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(_message_log(admin, service_id))


# ---- callbacks ------------------------------------------------------------------------------


async def _change_callback_url(admin: AdminStore, service_id: str, callback_type: str, url: str) -> None:
    if callback_type not in CALLBACK_TYPES:
        raise AdminError(f"callback_type must be one of {', '.join(CALLBACK_TYPES)}")
    await admin.check_callback_url(url)
    async with admin.engine.begin() as conn:
        changed = await conn.execute(
            update(service_callback_api)
            .where(
                and_(
                    service_callback_api.c.service_id == service_id,
                    service_callback_api.c.callback_type == callback_type,
                )
            )
            .values(url=url, updated_at=datetime.now(UTC))
        )
        if changed.rowcount == 0:
            raise AdminError("There is no callback of this type to change: give a bearer token too", 404)


@router.patch("/services/{service_id}/callbacks/{callback_type}")
async def change_callback_url(
    service_id: str, callback_type: str, body: CallbackUrl, admin: Admin
) -> dict[str, Any]:
    """A new URL for an existing callback, keeping its bearer token."""
    return await run(_change_callback_url(admin, service_id, callback_type, body.url))


# ---- going live -----------------------------------------------------------------------------


async def _checklist(admin: AdminStore, service_id: str) -> list[dict[str, Any]]:
    async with admin.engine.connect() as conn:
        facts = (await conn.execute(CHECKLIST_FACTS, {"service_id": service_id})).mappings().one()
    needs_reply_to = facts["email_templates"] > 0
    organisation = await OrganisationStore(admin.engine).of_service(service_id)
    agreement = [agreement_task(organisation)] if organisation is not None else []
    return [
        {
            "task": "templates",
            "label": "Add templates with examples of the content you plan to send",
            "done": facts["templates"] > 0,
        },
        {
            "task": "team",
            "label": "Make sure at least 2 team members can manage settings, team and usage",
            "done": facts["managers"] >= 2,
        },
        {
            "task": "reply_to",
            "label": "Add a reply-to email address",
            "done": facts["reply_to"] > 0 or not needs_reply_to,
            "not_needed": not needs_reply_to,
        },
        *agreement,
    ]


async def _requests(admin: AdminStore, condition: str, **params: Any) -> list[dict[str, Any]]:
    async with admin.engine.connect() as conn:
        rows = (await conn.execute(text(REQUESTS.text.format(condition=condition)), params)).mappings()
        return [_row(r) for r in rows]


async def _go_live(admin: AdminStore, service_id: str) -> dict[str, Any]:
    service = await admin.service(service_id)
    pending = await _requests(
        admin, "r.service_id = :service_id AND r.status = 'pending'", service_id=service_id
    )
    return {
        "live": service["live"],
        "checklist": await _checklist(admin, service_id),
        "request": pending[0] if pending else None,
    }


async def _request_go_live(admin: AdminStore, service_id: str, requested_by: str | None) -> dict[str, Any]:
    current = await _go_live(admin, service_id)
    if current["live"]:
        raise AdminError("This service is already live", 409)
    if current["request"] is not None:
        raise AdminError("Your request to go live is already being reviewed", 409)
    if not all(task["done"] for task in current["checklist"]):
        raise AdminError(INCOMPLETE)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(
                insert(go_live_requests).values(
                    id=str(uuid.uuid4()),
                    service_id=service_id,
                    requested_by=requested_by,
                    checklist=current["checklist"],
                )
            )
    except IntegrityError:  # a concurrent request, or requested_by is not an id
        raise AdminError("Your request to go live is already being reviewed", 409) from None
    return await _go_live(admin, service_id)


async def _approve(admin: AdminStore, service_id: str, decided_by: str | None) -> dict[str, Any]:
    async with admin.engine.begin() as conn:
        changed = await conn.execute(
            update(go_live_requests)
            .where(and_(go_live_requests.c.service_id == service_id, go_live_requests.c.status == "pending"))
            .values(status="approved", decided_by=decided_by, decided_at=datetime.now(UTC))
        )
    if changed.rowcount == 0:
        raise AdminError("There is no request to go live for this service", 404)
    return await _go_live(admin, service_id)


@router.get("/services/{service_id}/go-live")
async def go_live(service_id: str, admin: Admin) -> dict[str, Any]:
    """Whether the service is live, its checklist, and its pending request (if any)."""
    return await run(_go_live(admin, service_id))


@router.post("/services/{service_id}/go-live-request", status_code=201)
async def request_go_live(service_id: str, body: NewGoLiveRequest, admin: Admin) -> dict[str, Any]:
    """Record a request to go live; refused while the checklist is incomplete."""
    return await run(_request_go_live(admin, service_id, body.requested_by))


@router.get("/go-live-requests")
async def pending_go_live_requests(admin: Admin) -> dict[str, Any]:
    return await run(_requests(admin, "r.status = 'pending'"))


@router.post("/services/{service_id}/go-live-request/approve")
async def approve_go_live(service_id: str, body: Decision, admin: Admin) -> dict[str, Any]:
    """Mark the pending request approved (the caller makes the service live with PATCH)."""
    return await run(_approve(admin, service_id, body.decided_by))


# ---- billing --------------------------------------------------------------------------------


def bill(year: int, rows: list[dict[str, Any]], prices: dict[str, Any]) -> dict[str, Any]:
    """A financial year's usage and costs from ft_billing rows (month, notification_type, postage,
    units, sent). The free text message allowance is used up month by month, oldest first."""
    allowance = int(prices["free_sms_fragments"])
    remaining = allowance
    months: dict[str, dict[str, Any]] = {}
    for m in range(12):
        first = date(year + (m + 3) // 12, (m + 3) % 12 + 1, 1)
        months[first.isoformat()] = {
            "month": first.isoformat(),
            "sms_fragments": 0,
            "sms_free": 0,
            "sms_charged": 0,
            "sms_cost": 0.0,
            "emails": 0,
            "letters": {},
            "letter_cost": 0.0,
        }
    for row in rows:
        month = months.get(str(row["month"])[:10])
        if month is None:
            continue
        units, sent = int(row["units"] or 0), int(row["sent"] or 0)
        if row["notification_type"] == "sms":
            month["sms_fragments"] += units
        elif row["notification_type"] == "email":
            month["emails"] += sent
        elif row["notification_type"] == "letter":
            postage = row["postage"] or LETTER_DEFAULT_POSTAGE
            rate = prices["letter"].get(postage)  # None: letters are not priced here
            entry = month["letters"].setdefault(postage, {"sent": 0, "rate": rate, "cost": 0.0})
            entry["sent"] += sent
            entry["cost"] = round(entry["sent"] * (rate or 0.0), 2)
    for month in months.values():
        free = min(month["sms_fragments"], remaining)
        remaining -= free
        month["sms_free"] = free
        month["sms_charged"] = month["sms_fragments"] - free
        month["sms_cost"] = round(month["sms_charged"] * prices["sms_fragment"], 2)
        month["letter_cost"] = round(sum(e["cost"] for e in month["letters"].values()), 2)
        month["total_cost"] = round(month["sms_cost"] + month["letter_cost"], 2)
    listed = list(months.values())
    letters: dict[str, dict[str, Any]] = {}
    for month in listed:
        for postage, entry in month["letters"].items():
            total = letters.setdefault(postage, {"sent": 0, "rate": entry["rate"], "cost": 0.0})
            total["sent"] += entry["sent"]
            total["cost"] = round(total["cost"] + entry["cost"], 2)
    fragments = sum(m["sms_fragments"] for m in listed)
    return {
        "year": year,
        "sms": {
            "fragments": fragments,
            "free_allowance": allowance,
            "free_allowance_remaining": max(allowance - fragments, 0),
            "charged": sum(m["sms_charged"] for m in listed),
            "rate": prices["sms_fragment"],
            "cost": round(sum(m["sms_cost"] for m in listed), 2),
        },
        "emails": {"sent": sum(m["emails"] for m in listed)},
        "letters": {
            "sent": sum(e["sent"] for e in letters.values()),
            "by_postage": letters,
            "cost": round(sum(e["cost"] for e in letters.values()), 2),
        },
        "total_cost": round(sum(m["total_cost"] for m in listed), 2),
        "months": listed,
    }


async def _billing(
    admin: AdminStore, service_id: str, year: int, settings: AdminApiSettings
) -> dict[str, Any]:
    await admin.service(service_id)  # 404 for an unknown service
    params = {"service_id": service_id, "start": date(year, 4, 1), "end": date(year + 1, 4, 1)}
    async with admin.engine.connect() as conn:
        rows = [dict(r) for r in (await conn.execute(BILLING, params)).mappings()]
    chosen = prices(settings, year)
    allowance = await OrganisationStore(admin.engine).free_sms_allowance(service_id, year)
    if allowance is not None:  # its organisation's type sets it
        chosen["free_sms_fragments"] = allowance
    return bill(year, rows, chosen)


@router.get("/services/{service_id}/billing")
async def billing(
    service_id: str,
    admin: Admin,
    state: State,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """Usage and costs for the financial year starting 1 April ``year`` (default: this one)."""
    chosen = year if year is not None else financial_year_of(datetime.now(UTC).date())
    return await run(_billing(admin, service_id, chosen, state.settings))
