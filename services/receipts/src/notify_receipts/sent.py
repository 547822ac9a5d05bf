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

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.events import NotificationSentToProvider
from notify_common.topics import MAX_SERVICE_RETENTION_DAYS
from notify_receipts.lookups import translated

RECORD = text("""
INSERT INTO receipt_notifications (notification_id, service_id, provider, provider_reference, sent_at,
    notification_type, client_reference, recipient, template_id, template_version, created_at,
    job_row_number)
SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:service_ids AS uuid[]), CAST(:providers AS varchar[]),
    CAST(:references AS varchar[]), CAST(:sent_ats AS timestamptz[]), CAST(:types AS varchar[]),
    CAST(:client_references AS text[]), CAST(:recipients AS text[]), CAST(:template_ids AS uuid[]),
    CAST(:template_versions AS integer[]), CAST(:created_ats AS timestamptz[]), CAST(:rows AS integer[]))
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


async def record_sent(engine: AsyncEngine, events: Sequence[NotificationSentToProvider]) -> None:
    """Records the notifications these events handed to providers (the last event of each wins)."""
    latest = {e.notification_id: e for e in events if e.notification_id is not None}
    if not latest:
        return
    sent = list(latest.values())
    params = {
        "ids": [e.notification_id for e in sent],
        "service_ids": [e.service_id for e in sent],
        "providers": [e.provider for e in sent],
        "references": [e.provider_reference for e in sent],
        "sent_ats": [e.sent_at for e in sent],
        "types": [e.notification_type for e in sent],
        "client_references": [e.client_reference for e in sent],
        "recipients": [e.recipient for e in sent],
        "template_ids": [e.template_id for e in sent],
        "template_versions": [e.template_version for e in sent],
        "created_ats": [e.created_at for e in sent],
        "rows": [e.job_row_number for e in sent],
    }
    with translated():
        async with engine.begin() as conn:
            await conn.execute(RECORD, params)
