"""A live service for a benchmark, limited by nothing a run sends: a run that passes a limit
measures refusals instead of sends (an ingest run once had 29,912 of its 30,000 open-loop sends
answered 429, past a year's default allowance of 100,000 texts)."""

from __future__ import annotations

from notify_admin_api.sending_limits import AnnualLimitsStore
from notify_admin_api.store import AdminStore
from notify_common.annual_limits import CHANNELS

UNLIMITED = 2_000_000_000


async def unlimited_service(store: AdminStore, name: str, *, email_from: str) -> str:
    """A new live service's id: its rate, daily and annual limits all ``UNLIMITED``."""
    service_id = await store.create_service(
        name,
        live=True,
        email_from=email_from,
        rate_limit=UNLIMITED,
        sms_message_limit=UNLIMITED,
        email_message_limit=UNLIMITED,
        letter_message_limit=UNLIMITED,
        international_sms_message_limit=UNLIMITED,
    )
    await AnnualLimitsStore(store.engine).set_limits(service_id, dict.fromkeys(CHANNELS, UNLIMITED))
    return service_id
