"""What the admin web console reads about one service: templates, dashboard figures, notifications
(with a recipient search that arrives in a request body, never a URL), one notification, inbound
texts and the conversation with one number, jobs with their progress, and usage. Read-only SQL over
the configuration tables and the projections of the event log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.store import AdminError
from notify_admin_api.unsubscribe_reports import UnsubscribeReports
from notify_common.recipients import InvalidRecipientError, normalise_phone_number, validate_email_address

DELIVERED = ("delivered", "sent")
FAILED = (
    "failed",
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
)
STATUS_FILTERS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "sending": ("created", "sending", "pending", "pending-virus-check"),
    "delivered": DELIVERED,
    "failed": FAILED,
}
PAGE_SIZE = 50


def _jsonable(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif value is not None and key.endswith("id") and not isinstance(value, int | str):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _bucket(status: str) -> str:
    if status in DELIVERED:
        return "delivered"
    if status in FAILED:
        return "failed"
    return "sending"


TEMPLATES = text("""
SELECT id, name, template_type, subject, content, version, postage, created_at, updated_at, created_by,
       has_unsubscribe_link
FROM templates WHERE service_id = :service_id AND NOT archived ORDER BY lower(name)
""")
TEMPLATE = text("""
SELECT id, name, template_type, subject, content, version, postage, archived, created_at, updated_at,
       created_by, letter_contact_block, has_unsubscribe_link,
       language, language_variants, letter_languages, letter_welsh_subject, letter_welsh_content
FROM templates WHERE service_id = :service_id AND id = :template_id
""")
LAST_DAYS = text("""
SELECT notification_type, status, template_id, count(*) AS n FROM projection_notifications
WHERE service_id = :service_id AND created_at >= :since AND key_type <> 'test' AND status <> 'cancelled'
GROUP BY notification_type, status, template_id
""")
TEMPLATE_NAMES = text("SELECT id, name, template_type FROM templates WHERE service_id = :service_id")
SCHEDULED = text("""
SELECT job_id, original_file_name, row_count, scheduled_for, template_id FROM splitter_jobs
WHERE service_id = :service_id AND status = 'scheduled' ORDER BY scheduled_for
""")
INBOUND_COUNT = text("""
SELECT count(*) AS n, max(created_at) AS latest FROM projection_inbound_sms
WHERE service_id = :service_id AND created_at >= :since
""")
INBOUND = text("""
SELECT id, user_number, notify_number, content, created_at FROM projection_inbound_sms
WHERE service_id = :service_id ORDER BY created_at DESC LIMIT :limit OFFSET :offset
""")
NOTIFICATION = text("""
SELECT n.id, n.notification_type, n.status, coalesce(n.recipient_as_sent, n.recipient) AS recipient,
       n.address, n.client_reference, n.body, n.subject,
       n.template_id, n.template_version, n.job_id, n.job_row_number, n.key_type, n.api_key_id,
       n.billable_units, n.failure_reason, n.created_at, n.sent_at, n.updated_at, n.completed_at,
       t.name AS template_name, j.original_file_name AS job_file_name
FROM projection_notifications n
LEFT JOIN templates t ON t.id = n.template_id
LEFT JOIN splitter_jobs j ON j.job_id = n.job_id
WHERE n.service_id = :service_id AND n.id = :notification_id AND n.created_at IS NOT NULL
""")
LIST_NOTIFICATIONS = """
SELECT n.id, n.notification_type, n.status, coalesce(n.recipient_as_sent, n.recipient) AS recipient,
       n.template_id, n.job_id, n.created_at, n.updated_at,
       n.key_type, t.name AS template_name, left(n.body, 120) AS preview
FROM projection_notifications n LEFT JOIN templates t ON t.id = n.template_id
WHERE {conditions} ORDER BY n.created_at DESC LIMIT :limit OFFSET :offset
"""
JOBS = text("""
SELECT j.job_id, j.original_file_name, j.row_count, j.status, j.scheduled_for, j.requested_at,
       j.created_by, j.template_id, t.name AS template_name, j.channel, j.contact_list_id,
       cl.original_file_name AS contact_list_name
FROM splitter_jobs j LEFT JOIN templates t ON t.id = j.template_id
LEFT JOIN contact_lists cl ON cl.id = j.contact_list_id
WHERE j.service_id = :service_id ORDER BY j.requested_at DESC LIMIT 50
""")
STARTED_UPLOAD = text("""
SELECT u.id AS job_id, u.original_file_name, u.row_count, 'pending' AS status, NULL AS scheduled_for,
       u.created_at AS requested_at, u.created_by, u.template_id, t.name AS template_name,
       t.template_type AS channel, CAST(u.report->>'contact_list_id' AS uuid) AS contact_list_id,
       cl.original_file_name AS contact_list_name
FROM console_uploads u LEFT JOIN templates t ON t.id = u.template_id
LEFT JOIN contact_lists cl ON cl.id = CAST(u.report->>'contact_list_id' AS uuid)
WHERE u.service_id = :service_id AND u.id = :job_id AND (u.report->>'started')::boolean
""")
JOB_STATS = text("""
SELECT job_id, status, count(*) AS n FROM projection_notifications
WHERE service_id = :service_id AND job_id = ANY(CAST(:job_ids AS uuid[])) AND created_at IS NOT NULL
GROUP BY job_id, status
""")
ONE_INBOUND = text("""
SELECT id, user_number, notify_number, content, created_at FROM projection_inbound_sms
WHERE service_id = :service_id AND id = :inbound_id
""")
CONVERSATION_IN = text("""
SELECT id, content, created_at FROM projection_inbound_sms
WHERE service_id = :service_id AND user_number = ANY(:numbers) ORDER BY created_at DESC LIMIT :limit
""")
CONVERSATION_OUT = text("""
SELECT id, body AS content, status, created_at FROM projection_notifications
WHERE service_id = :service_id AND notification_type = 'sms' AND recipient = ANY(:numbers)
  AND created_at IS NOT NULL
ORDER BY created_at DESC LIMIT :limit
""")
CONVERSATION_LIMIT = 100
USAGE = text("""
SELECT notification_type, sum(billable_units * rate_multiplier) AS units, sum(notifications_sent) AS sent,
       date_trunc('month', bst_date) AS month
FROM projection_ft_billing WHERE service_id = :service_id AND bst_date >= :start AND bst_date < :end
GROUP BY notification_type, date_trunc('month', bst_date) ORDER BY month
""")


class ConsoleReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _all(self, query: Any, **params: Any) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query, params)).mappings().all()
        return [_jsonable(r) for r in rows]

    async def templates(self, service_id: str) -> list[dict[str, Any]]:
        return await self._all(TEMPLATES, service_id=service_id)

    async def template(self, service_id: str, template_id: str) -> dict[str, Any]:
        rows = await self._all(TEMPLATE, service_id=service_id, template_id=template_id)
        if not rows:
            raise AdminError("Template not found", 404)
        return rows[0]

    async def dashboard(self, service_id: str, days: int = 7) -> dict[str, Any]:
        since = datetime.now(UTC) - timedelta(days=days)
        counts = await self._all(LAST_DAYS, service_id=service_id, since=since)
        names = {r["id"]: r for r in await self._all(TEMPLATE_NAMES, service_id=service_id)}
        channels: dict[str, dict[str, Any]] = {
            c: {"requested": 0, "delivered": 0, "failed": 0, "sending": 0} for c in ("email", "sms", "letter")
        }
        by_template: dict[str, dict[str, Any]] = {}
        for row in counts:
            channel = channels.setdefault(
                row["notification_type"] or "sms", {"requested": 0, "delivered": 0, "failed": 0, "sending": 0}
            )
            channel["requested"] += row["n"]
            channel[_bucket(row["status"])] += row["n"]
            template_id = row["template_id"]
            if template_id:
                entry = by_template.setdefault(
                    template_id,
                    {
                        "template_id": template_id,
                        "name": names.get(template_id, {}).get("name", "Deleted template"),
                        "template_type": row["notification_type"],
                        "count": 0,
                    },
                )
                entry["count"] += row["n"]
        for channel in channels.values():
            requested = channel["requested"]
            channel["failed_percentage"] = round(100 * channel["failed"] / requested, 1) if requested else 0.0
        inbound = await self._all(INBOUND_COUNT, service_id=service_id, since=since)
        return {
            "days": days,
            "channels": channels,
            "templates": sorted(by_template.values(), key=lambda t: (-t["count"], t["name"])),
            "scheduled_jobs": await self._all(SCHEDULED, service_id=service_id),
            "inbound": {"count": inbound[0]["n"], "latest": inbound[0]["latest"]},
            "unsubscribe_requests": await UnsubscribeReports(self.engine).statistics(service_id),
        }

    async def notifications(
        self,
        service_id: str,
        *,
        status: str = "all",
        template_type: str | None = None,
        to: str | None = None,
        job_id: str | None = None,
        page: int = 1,
        include_test: bool = True,
    ) -> dict[str, Any]:
        if status not in STATUS_FILTERS:
            raise AdminError(f"status must be one of {', '.join(STATUS_FILTERS)}")
        where = ["n.service_id = :service_id", "n.created_at IS NOT NULL"]
        params: dict[str, Any] = {"service_id": service_id, "limit": PAGE_SIZE + 1}
        params["offset"] = (max(page, 1) - 1) * PAGE_SIZE
        statuses = STATUS_FILTERS[status]
        if statuses:
            where.append("n.status = ANY(:statuses)")
            params["statuses"] = list(statuses)
        if template_type:
            where.append("n.notification_type = :template_type")
            params["template_type"] = template_type
        if job_id:
            where.append("n.job_id = :job_id")
            params["job_id"] = job_id
        if not include_test:
            where.append("n.key_type <> 'test'")
        if to:
            where.append("(n.recipient = :to OR n.recipient = :normalised OR n.client_reference = :to)")
            params["to"] = to.strip()
            params["normalised"] = _normalised(to)
        # Only the fixed conditions above are joined in; every value is a bound parameter.
        conditions = " AND ".join(where)
        query = text(LIST_NOTIFICATIONS.format(conditions=conditions))
        rows = await self._all(query, **params)
        return {"notifications": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE}

    async def notification(self, service_id: str, notification_id: str) -> dict[str, Any]:
        rows = await self._all(NOTIFICATION, service_id=service_id, notification_id=notification_id)
        if not rows:
            raise AdminError("Notification not found", 404)
        return rows[0]

    async def inbound(self, service_id: str, page: int = 1) -> dict[str, Any]:
        rows = await self._all(
            INBOUND, service_id=service_id, limit=PAGE_SIZE + 1, offset=(max(page, 1) - 1) * PAGE_SIZE
        )
        return {"inbound_sms": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE}

    async def conversation(self, service_id: str, inbound_id: str) -> dict[str, Any]:
        """The texts received from the number that sent ``inbound_id`` and the text messages sent
        to it, oldest first (the latest ``CONVERSATION_LIMIT`` of each)."""
        found = await self._all(ONE_INBOUND, service_id=service_id, inbound_id=inbound_id)
        if not found:
            raise AdminError("Received text message not found", 404)
        number = found[0]["user_number"]
        numbers = sorted({number, _normalised(number)})
        params = {"service_id": service_id, "numbers": numbers, "limit": CONVERSATION_LIMIT}
        received = await self._all(CONVERSATION_IN, **params)
        sent = await self._all(CONVERSATION_OUT, **params)
        messages = [{**m, "direction": "inbound", "status": None} for m in received] + [
            {**m, "direction": "outbound"} for m in sent
        ]
        messages.sort(key=lambda m: m["created_at"])
        return {"user_number": number, "inbound_id": inbound_id, "messages": messages}

    async def jobs(self, service_id: str) -> list[dict[str, Any]]:
        jobs = await self._all(JOBS, service_id=service_id)
        await self._add_statistics(service_id, jobs)
        return jobs

    async def job(self, service_id: str, job_id: str) -> dict[str, Any]:
        jobs = [j for j in await self._all(JOBS, service_id=service_id) if j["job_id"] == job_id]
        if not jobs:
            one = text(JOBS.text.replace("ORDER BY", "AND j.job_id = :job_id ORDER BY"))
            jobs = await self._all(one, service_id=service_id, job_id=job_id)
        if not jobs:
            jobs = await self._all(STARTED_UPLOAD, service_id=service_id, job_id=job_id)
        if not jobs:
            raise AdminError("Job not found", 404)
        await self._add_statistics(service_id, jobs)
        return jobs[0]

    async def _add_statistics(self, service_id: str, jobs: list[dict[str, Any]]) -> None:
        if not jobs:
            return
        stats = await self._all(
            JOB_STATS, service_id=service_id, job_ids="{" + ",".join(j["job_id"] for j in jobs) + "}"
        )
        for job in jobs:
            counts = {"sending": 0, "delivered": 0, "failed": 0}
            for row in stats:
                if row["job_id"] == job["job_id"]:
                    counts[_bucket(row["status"])] += row["n"]
            job["counts"] = counts
            job["processed"] = sum(counts.values())
            job["finished"] = job["status"] in ("finished", "cancelled", "sending_limits_exceeded") and (
                counts["sending"] == 0
            )

    async def usage(self, service_id: str, year: int) -> dict[str, Any]:
        """Usage in the financial year starting 1 April ``year``, by channel and month."""
        start, end = date(year, 4, 1), date(year + 1, 4, 1)
        rows = await self._all(USAGE, service_id=service_id, start=start, end=end)
        totals = {c: {"units": 0, "sent": 0} for c in ("email", "sms", "letter")}
        for row in rows:
            total = totals.setdefault(row["notification_type"], {"units": 0, "sent": 0})
            total["units"] += int(row["units"] or 0)
            total["sent"] += int(row["sent"] or 0)
        return {"year": year, "totals": totals, "months": rows}


def _normalised(to: str) -> str:
    try:
        return validate_email_address(to) if "@" in to else normalise_phone_number(to)
    except InvalidRecipientError:
        return to.strip()
