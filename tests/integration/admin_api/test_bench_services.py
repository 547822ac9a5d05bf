"""The benchmarks' own services, made against the real database, are limited by nothing a run sends:
a run that passes a limit measures refusals instead of sends (the ingest benchmark's open-loop run
once had 29,912 of its 30,000 sends answered 429, past a year's default allowance of texts)."""

from __future__ import annotations

from bench.bulk.run import make_services
from bench.ingest.setup_bench import make_service
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.sending_limits import AnnualLimitsStore
from notify_admin_api.store import AdminStore
from notify_common.annual_limits import CHANNELS, DEFAULT_ANNUAL_LIMITS
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings

# More than any benchmark sends: the bulk benchmark's largest file has 1,000,000 rows.
ENOUGH = 100_000_000


async def assert_unlimited(engine: AsyncEngine, settings: CommonSettings, service_id: str) -> None:
    annual = await AnnualLimitsStore(engine).limits(service_id)
    assert set(annual) == set(CHANNELS)
    assert all(annual[channel] >= ENOUGH for channel in CHANNELS), annual
    service = await AdminStore(engine, SecretBox(settings.secret_key.get_secret_value())).service(service_id)
    assert service["rate_limit"] >= ENOUGH
    assert service["sms_message_limit"] >= ENOUGH


async def test_the_ingest_benchmarks_service_has_no_limit_a_run_reaches(
    database: str, settings: CommonSettings, engine: AsyncEngine
) -> None:
    assert max(DEFAULT_ANNUAL_LIMITS.values()) < ENOUGH  # the defaults are what a run would pass
    service_id, _secret, _template_id = await make_service(settings)
    await assert_unlimited(engine, settings, service_id)


async def test_the_bulk_benchmarks_services_have_no_limit_a_run_reaches(
    database: str, settings: CommonSettings, engine: AsyncEngine
) -> None:
    for made in await make_services(settings):
        await assert_unlimited(engine, settings, made.service_id)
