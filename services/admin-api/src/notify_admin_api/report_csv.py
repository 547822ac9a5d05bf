"""The report of sent messages as CSV rows, whichever way it is delivered (streamed by
``console_reports``, built in the background by ``report_requests``): Notify's columns and words, the
query for the page's filters (whole, or one keyset page of it) and how many rows it has.

The columns are Notify's: Recipient, Reference, Template, Type, Sent by, Sent by email, Job, Status,
Time, API key name. *Sent by* is the console account that started a spreadsheet job (or the name a
CLI job recorded); one-off messages from the console travel the public API with the console's key,
so for them *API key name* says "Notify admin console" and *Sent by* is empty. Rows come newest
first, by (``created_at``, ``id``), so both ways give the same file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from notify_admin_api.console_reads import STATUS_FILTERS

LONDON = ZoneInfo("Europe/London")
COLUMNS = (
    "Recipient",
    "Reference",
    "Template",
    "Type",
    "Sent by",
    "Sent by email",
    "Job",
    "Status",
    "Time",
    "API key name",
)
TYPE_WORDS = {"sms": "sms", "email": "email", "letter": "letter"}
STATUS_WORDS = {
    "created": "Sending",
    "sending": "Sending",
    "pending": "Sending",
    "pending-virus-check": "Sending",
    "delivered": "Delivered",
    "sent": "Sent",
    "permanent-failure": "Permanent failure",
    "temporary-failure": "Temporary failure",
    "technical-failure": "Technical failure",
    "validation-failed": "Validation failed",
    "virus-scan-failed": "Virus scan failed",
    "returned-letter": "Returned letter",
    "cancelled": "Cancelled",
}
# Notify's wording where a channel says it better.
CHANNEL_STATUS_WORDS = {
    ("email", "permanent-failure"): "Email address does not exist",
    ("email", "temporary-failure"): "Inbox not accepting messages right now",
    ("sms", "permanent-failure"): "Phone number does not exist",
    ("sms", "temporary-failure"): "Phone not accepting messages right now",
    ("sms", "sent"): "Sent to an international number",
}
REPORT = """
SELECT n.id, coalesce(n.recipient_as_sent, n.recipient, n.address->>'address_line_1')
       AS recipient, n.client_reference,
       t.name AS template_name, n.notification_type, coalesce(cu.name, j.created_by) AS sent_by,
       cu.email_address AS sent_by_email, coalesce(j.original_file_name, u.original_file_name) AS job_name,
       n.status, n.created_at, k.name AS api_key_name
FROM projection_notifications n
LEFT JOIN templates t ON t.id = n.template_id
LEFT JOIN splitter_jobs j ON j.job_id = n.job_id
LEFT JOIN console_uploads u ON u.id = n.job_id
LEFT JOIN console_users cu ON cu.id::text = u.created_by
LEFT JOIN api_keys k ON k.id = n.api_key_id
WHERE {conditions}
ORDER BY n.created_at DESC, n.id DESC{limit}
"""


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ or a control is quoted."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def report_row(row: Any) -> list[str]:
    created: datetime | None = row.created_at
    status = CHANNEL_STATUS_WORDS.get((row.notification_type, row.status)) or STATUS_WORDS.get(
        row.status, row.status
    )
    return [
        safe_cell(v)
        for v in (
            row.recipient,
            row.client_reference,
            row.template_name,
            TYPE_WORDS.get(row.notification_type or "", row.notification_type),
            row.sent_by,
            row.sent_by_email,
            row.job_name,
            status,
            created.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S") if created else "",
            row.api_key_name,
        )
    ]


def _conditions(status: str, template_type: str | None) -> tuple[list[str], dict[str, Any]]:
    where = ["n.service_id = :service_id", "n.created_at IS NOT NULL"]
    params: dict[str, Any] = {}
    statuses = STATUS_FILTERS[status]
    if statuses:
        where.append("n.status = ANY(:statuses)")
        params["statuses"] = list(statuses)
    if template_type:
        where.append("n.notification_type = :template_type")
        params["template_type"] = template_type
    return where, params


def report_query(status: str, template_type: str | None, *, page: bool = False) -> tuple[Any, dict[str, Any]]:
    """The report's query for the filters, and its parameters beside ``service_id``. With ``page``,
    one page of it: the messages made by ``as_of`` and after the row ``after_created``,
    ``after_id`` (keyset pagination), at most ``limit``."""
    where, params = _conditions(status, template_type)
    if page:
        where.append("n.created_at <= :as_of")
        where.append("(n.created_at, n.id) < (:after_created, CAST(:after_id AS uuid))")
    # Only the fixed conditions above are joined in; every value is a bound parameter.
    query = REPORT.format(conditions=" AND ".join(where), limit="\nLIMIT :limit" if page else "")
    return text(query), params


def count_query(status: str, template_type: str | None, *, as_of: bool = False) -> tuple[Any, dict[str, Any]]:
    """How many rows the report has (its joins are on primary keys, so they add none), made by
    ``as_of`` when asked."""
    where, params = _conditions(status, template_type)
    if as_of:
        where.append("n.created_at <= :as_of")
    # As above: fixed conditions, bound values.
    return text("SELECT count(*) FROM projection_notifications n WHERE " + " AND ".join(where)), params  # noqa: S608
