"""Records recipients' unsubscribe requests (``UnsubscribeRequested``) in ``unsubscribe_requests``.

One row per email, the first request wins: a second click, a mail client's one-click POST after
the page's button, or a replayed event records nothing new. The event carries no personal data; the
recipient's address, the job and when the email was sent come from the notification this service
projected (``notifications``), in the same statement, so the address never passes through Python or
a log. ``unsubscribe_requests`` is not one of the rebuilt views: a rebuild leaves it as it is.
"""

# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.events import Event, UnsubscribeRequested
from notify_projector.sql import Cols, arrays, unnest

COLS: Cols = (
    ("notification_id", "uuid"),
    ("service_id", "uuid"),
    ("template_id", "uuid"),
    ("template_version", "int"),
    ("requested_at", "timestamptz"),
)
INSERT = text(f"""
INSERT INTO unsubscribe_requests (notification_id, service_id, template_id, template_version, job_id,
                                  email_address, notification_sent_at, requested_at)
SELECT u.notification_id, u.service_id, coalesce(u.template_id, n.template_id),
       coalesce(u.template_version, n.template_version), n.job_id,
       coalesce(n.recipient_as_sent, n.recipient), coalesce(n.sent_at, n.created_at), u.requested_at
FROM {unnest(COLS)}
LEFT JOIN public.notifications n ON n.id = u.notification_id
ON CONFLICT (notification_id) DO NOTHING
""")


def request_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """The earliest request of each email in ``events``."""
    first: dict[str, UnsubscribeRequested] = {}
    for e in events:
        if isinstance(e, UnsubscribeRequested) and e.notification_id is not None:
            seen = first.get(e.notification_id)
            if seen is None or e.requested_at < seen.requested_at:
                first[e.notification_id] = e
    return [
        {
            "notification_id": e.notification_id,
            "service_id": e.service_id,
            "template_id": e.template_id,
            "template_version": e.template_version,
            "requested_at": e.requested_at,
        }
        for _, e in sorted(first.items())
    ]


async def record_requests(conn: AsyncConnection, events: Sequence[Event]) -> int:
    """Insert the unsubscribe requests of ``events`` not yet recorded (in the caller's transaction)."""
    rows = request_rows(events)
    if rows:
        await conn.execute(INSERT, arrays(COLS, rows))
    return len(rows)
