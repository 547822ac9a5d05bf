"""What platform admins see of the whole platform (read only): a notification found by its id, its
client reference or its recipient (an email address in any case), the live services with this
financial year's volumes, email complaints, the SMS providers' shares with every change of them,
and messages per channel by day and by month.

It reads what the projector projects from the event log (``notifications``, ``complaints``,
``ft_billing``, ``ft_notification_status``) and the shares the sms-sender keeps and changes
(``sms_provider_weights``, ``sms_provider_weight_changes``); it writes nothing. A recipient is
looked for as it was given and in its normalised form (as the console's search of one service),
in the notifications still held, that is within each service's retention; the search arrives in a
request body, never in a URL or a log line.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.console_reads import _normalised
from notify_admin_api.store import AdminError

FIND_LIMIT = 50
COMPLAINTS_PAGE = 50
HISTORY_LIMIT = 100
CHANNELS = ("sms", "email", "letter")
# A search by recipient reads every service's notifications: bounded, so it never holds a
# connection for long.
SEARCH_TIMEOUT_MS = 10_000

FIND = """
SELECT n.id, n.service_id, s.name AS service_name, n.notification_type, n.status, n.key_type,
       n.recipient, n.client_reference, n.created_at
FROM projection_notifications n LEFT JOIN services s ON s.id = n.service_id
WHERE n.created_at IS NOT NULL AND ({condition})
ORDER BY n.created_at DESC
LIMIT :limit
"""

LIVE_SERVICES = text("""
SELECT s.id, s.name, s.created_at,
       (SELECT max(g.decided_at) FROM go_live_requests g
        WHERE g.service_id = s.id AND g.status = 'approved') AS went_live_at,
       coalesce(sum(b.notifications_sent) FILTER (WHERE b.notification_type = 'sms'), 0) AS sms,
       coalesce(sum(b.billable_units * b.rate_multiplier)
                FILTER (WHERE b.notification_type = 'sms'), 0) AS sms_fragments,
       coalesce(sum(b.notifications_sent) FILTER (WHERE b.notification_type = 'email'), 0) AS email,
       coalesce(sum(b.notifications_sent) FILTER (WHERE b.notification_type = 'letter'), 0) AS letter
FROM services s
LEFT JOIN projection_ft_billing b ON b.service_id = s.id AND b.bst_date BETWEEN :start AND :end
WHERE s.active AND NOT s.restricted
GROUP BY s.id, s.name, s.created_at
ORDER BY s.name
""")

COMPLAINTS = text("""
SELECT c.id, c.notification_id, c.service_id, s.name AS service_name, c.complaint_type,
       c.complaint_date, c.created_at
FROM projection_complaints c LEFT JOIN services s ON s.id = c.service_id
ORDER BY c.created_at DESC, c.id
LIMIT :limit OFFSET :offset
""")

WEIGHTS = text("SELECT provider, weight, updated_at FROM sms_provider_shares ORDER BY provider")
WEIGHT_CHANGES = text("""
SELECT id, changed_at, weights_before, weights_after, reason, detail
FROM sms_provider_share_changes ORDER BY changed_at DESC, id DESC LIMIT :limit
""")

USAGE = """
SELECT {period} AS period, notification_type, sum(notification_count) AS messages
FROM projection_ft_notification_status
WHERE bst_date BETWEEN :start AND :end AND key_type <> 'test'
GROUP BY 1, 2
"""


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def financial_year(today: date) -> int:
    """The financial year (April to March) ``today`` falls in, named by the year it starts."""
    return today.year if today.month >= 4 else today.year - 1


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class PlatformAdminReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _all(self, query: Any, **params: Any) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query, params)).mappings().all()
        return [{k: _json(v) for k, v in row.items()} for row in rows]

    async def find_notifications(self, search: str) -> dict[str, Any]:
        """Notifications whose id, client reference or recipient is ``search`` (newest first)."""
        search = search.strip()
        if not search:
            raise AdminError("Enter a notification ID, reference or recipient")
        as_id = _uuid(search)
        params: dict[str, Any] = {"limit": FIND_LIMIT + 1, "search": search}
        if as_id is not None:
            # An id is also tried as a reference: clients often use UUIDs as their references.
            condition = "n.id = CAST(:id AS uuid) OR n.client_reference = :search"
            params["id"] = as_id
        elif "@" in search:
            # Addresses are kept as they were given: any case matches.
            condition = "n.client_reference = :search OR lower(n.recipient) = :normalised"
            params["normalised"] = _normalised(search).lower()
        else:
            condition = "n.client_reference = :search OR n.recipient = :search OR n.recipient = :normalised"
            params["normalised"] = _normalised(search)
        async with self.engine.begin() as conn:
            await conn.execute(text(f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}"))
            # Only one of the fixed conditions above is put in; values are bound parameters.
            rows = (await conn.execute(text(FIND.format(condition=condition)), params)).mappings().all()
        found = [{k: _json(v) for k, v in row.items()} for row in rows]
        return {"notifications": found[:FIND_LIMIT], "more": len(found) > FIND_LIMIT}

    async def live_services(self, year: int | None = None) -> dict[str, Any]:
        """Live services with what they sent in the financial year (this one by default), from
        the billing facts (messages sent, and text message fragments)."""
        year = financial_year(datetime.now(UTC).date()) if year is None else year
        start, end = date(year, 4, 1), date(year + 1, 3, 31)
        rows = await self._all(LIVE_SERVICES, start=start, end=end)
        for row in rows:
            for channel in (*CHANNELS, "sms_fragments"):
                row[channel] = int(row[channel])
        return {"financial_year": year, "services": rows}

    async def complaints(self, page: int = 1) -> dict[str, Any]:
        rows = await self._all(
            COMPLAINTS, limit=COMPLAINTS_PAGE + 1, offset=(max(page, 1) - 1) * COMPLAINTS_PAGE
        )
        return {"complaints": rows[:COMPLAINTS_PAGE], "page": page, "has_next": len(rows) > COMPLAINTS_PAGE}

    async def sms_providers(self) -> dict[str, Any]:
        """Each SMS provider's share now, and the latest changes of the shares with their reasons."""
        providers = await self._all(WEIGHTS)
        total = sum(p["weight"] for p in providers) or 1
        for provider in providers:
            provider["percentage"] = round(100 * provider["weight"] / total)
        history = await self._all(WEIGHT_CHANGES, limit=HISTORY_LIMIT)
        return {"providers": providers, "history": history}

    async def usage(self, days: int = 30) -> dict[str, Any]:
        """Messages per channel (test keys left out) for each of the last ``days`` London days
        and each month of this financial year so far, from the daily status facts."""
        today = datetime.now(UTC).date()
        start_day = today - timedelta(days=days - 1)
        daily = await self._all(text(USAGE.format(period="bst_date")), start=start_day, end=today)
        year = financial_year(today)
        monthly = await self._all(
            text(USAGE.format(period="date_trunc('month', bst_date)::date")),
            start=date(year, 4, 1),
            end=today,
        )
        return {
            "daily": _by_period(daily, [start_day + timedelta(days=n) for n in range(days)]),
            "monthly": _by_period(monthly, _months(date(year, 4, 1), today)),
            "financial_year": year,
        }


def _months(start: date, end: date) -> list[date]:
    months, current = [], start
    while current <= end:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def _by_period(rows: list[dict[str, Any]], periods: list[date]) -> list[dict[str, Any]]:
    """One entry per period, newest first, with a count per channel (0 where nothing was sent)."""
    counts = {p.isoformat(): dict.fromkeys(CHANNELS, 0) for p in periods}
    for row in rows:
        if row["period"] in counts and row["notification_type"] in CHANNELS:
            counts[row["period"]][row["notification_type"]] = int(row["messages"])
    return [{"period": period, **by_channel} for period, by_channel in reversed(counts.items())]
