"""The receipts service's own record of the notifications providers were given
(``receipt_notifications``), learnt from the ``NotificationSentToProvider`` events on the status
topic: whom a receipt is about (by our id, or by the provider's reference for SES and SNS), which
provider was given it, and the details its status events carry. Written a batch per statement;
the latest send of a notification wins, as a resend goes through the provider that took it last.
Rows hold the recipient (personal data): they are forgotten once no service keeps the notification
any longer (the longest service retention, with the topics' two-day margin for late receipts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.events import NotificationSentToProvider
from notify_common.topics import MAX_SERVICE_RETENTION_DAYS
from notify_receipts.lookups import translated

# The batch goes as one JSON parameter, encoded in C by orjson, and PostgreSQL reads it back into
# typed columns: bound as twelve arrays instead, psycopg dumped every element in Python, a
# twentieth of this service's CPU (py-spy under ``bench/receipts``).
RECORD = text("""
INSERT INTO receipt_notifications (notification_id, service_id, provider, provider_reference, sent_at,
    notification_type, client_reference, recipient, template_id, template_version, created_at,
    job_row_number)
SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS r(notification_id uuid, service_id uuid,
    provider varchar, provider_reference varchar, sent_at timestamptz, notification_type varchar,
    client_reference text, recipient text, template_id uuid, template_version integer,
    created_at timestamptz, job_row_number integer)
ON CONFLICT (notification_id) DO UPDATE SET service_id = EXCLUDED.service_id,
    provider = EXCLUDED.provider, provider_reference = EXCLUDED.provider_reference,
    sent_at = EXCLUDED.sent_at, notification_type = EXCLUDED.notification_type,
    client_reference = EXCLUDED.client_reference, recipient = EXCLUDED.recipient,
    template_id = EXCLUDED.template_id, template_version = EXCLUDED.template_version,
    created_at = EXCLUDED.created_at, job_row_number = EXCLUDED.job_row_number, recorded_at = now()
""")

FORGET = text("DELETE FROM receipt_notifications WHERE sent_at < now() - make_interval(days => :days)")
KEEP_DAYS = MAX_SERVICE_RETENTION_DAYS + 2


async def forget_old(engine: AsyncEngine, keep_days: int = KEEP_DAYS) -> int:
    """Deletes the notifications sent more than ``keep_days`` ago; how many."""
    with translated():
        async with engine.begin() as conn:
            return (await conn.execute(FORGET, {"days": keep_days})).rowcount


def _row(e: NotificationSentToProvider) -> dict[str, Any]:
    return {
        "notification_id": e.notification_id, "service_id": e.service_id, "provider": e.provider,
        "provider_reference": e.provider_reference, "sent_at": e.sent_at,
        "notification_type": e.notification_type, "client_reference": e.client_reference,
        "recipient": e.recipient, "template_id": e.template_id, "template_version": e.template_version,
        "created_at": e.created_at, "job_row_number": e.job_row_number,
    }  # fmt: skip


async def record_sent(engine: AsyncEngine, events: Sequence[NotificationSentToProvider]) -> None:
    """Records the notifications these events handed to providers (the last event of each wins)."""
    latest = {e.notification_id: e for e in events if e.notification_id is not None}
    if not latest:
        return
    rows = [_row(e) for e in latest.values()]
    params = {"rows": orjson.dumps(rows).decode()}
    with translated():
        # One statement is atomic alone: in autocommit it is one round trip, not three (BEGIN,
        # the statement, COMMIT), and every round trip costs a socket write on each side.
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(RECORD, params)
