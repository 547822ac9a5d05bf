"""The admin-api's per-process state, built once at start-up (``build_state``) and handed to every
route through the ``State`` dependency: the stores over PostgreSQL, the Kafka producer for CSV jobs
and their cancelling, the job files and branding logos in S3, the tokens that may call, and Redis
for announcing configuration changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from notify_admin_api.access import AdminToken, FailureThrottle, parse_tokens
from notify_admin_api.branding import BrandingStore
from notify_admin_api.branding_logos import BrandingLogos
from notify_admin_api.console_accounts import AccountStore
from notify_admin_api.console_reads import ConsoleReads
from notify_admin_api.console_reply_to import ReplyToVerifications
from notify_admin_api.console_teams import TeamStore
from notify_admin_api.console_uploads import ConsoleUploads
from notify_admin_api.contact_lists import ContactLists
from notify_admin_api.legacy_config import LegacyConfig
from notify_admin_api.report_requests import ReportBuilder, ReportFiles, ReportRequests
from notify_admin_api.service_history import ServiceHistory
from notify_admin_api.settings import AdminApiSettings
from notify_admin_api.store import AdminStore
from notify_common.db import create_engine
from notify_common.jobs.files import JobFiles
from notify_common.kafka import EventProducer
from notify_common.outbound import parse_networks
from notify_common.redis_packing import redis_from_url
from notify_common.secrets import SecretBox


@dataclass(frozen=True)
class AdminAccess:
    """The admin API's tokens and its throttle of failed authentications (one per process)."""

    tokens: tuple[AdminToken, ...]
    throttle: FailureThrottle


@dataclass(frozen=True)
class Console:
    """The stores behind the console's routes."""

    accounts: AccountStore
    teams: TeamStore
    reply_tos: ReplyToVerifications
    reads: ConsoleReads
    uploads: ConsoleUploads
    contact_lists: ContactLists
    reports: ReportRequests
    box: SecretBox


@dataclass(frozen=True)
class AdminState:
    settings: AdminApiSettings
    access: AdminAccess
    store: AdminStore
    legacy: LegacyConfig
    console: Console
    branding: BrandingStore
    logos: BrandingLogos
    producer: EventProducer
    builder: ReportBuilder
    redis: Redis  # type: ignore[type-arg]  # configuration change notices (config_notices.py)
    history: ServiceHistory  # every change to a service's configuration (service_history.py)


def build_state(settings: AdminApiSettings) -> AdminState:
    engine = create_engine(
        settings, pool_size=settings.db_pool_size, timeout=settings.database_timeout_seconds
    )
    box = SecretBox(settings.secret_key.get_secret_value())
    accounts = AccountStore(engine, box)
    producer = EventProducer(settings, client_id="admin-api")
    files = JobFiles(settings, settings.jobs_bucket)
    uploads = ConsoleUploads(engine, files, settings.csv_limits())
    reports = ReportFiles(settings, settings.reports_bucket)
    return AdminState(
        settings=settings,
        access=AdminAccess(
            parse_tokens(settings.admin_api_token, settings.admin_api_scoped_tokens.get_secret_value()),
            FailureThrottle(settings.admin_auth_failures_allowed, settings.admin_auth_window_seconds),
        ),
        store=AdminStore(
            engine,
            box,
            parse_networks(settings.callback_allowed_networks),
            admin_email=settings.acting_admin_email,
        ),
        legacy=LegacyConfig(engine),
        console=Console(
            accounts=accounts,
            teams=TeamStore(engine, accounts),
            reply_tos=ReplyToVerifications(engine),
            reads=ConsoleReads(engine),
            uploads=uploads,
            contact_lists=ContactLists(engine, files, settings.csv_limits(), uploads),
            reports=ReportRequests(engine, reports),
            box=box,
        ),
        branding=BrandingStore(engine),
        logos=BrandingLogos(settings, settings.branding_bucket),
        producer=producer,
        builder=ReportBuilder(
            engine,
            reports,
            keep=timedelta(hours=settings.report_keep_hours),
            stale_after=timedelta(seconds=settings.report_stale_seconds),
        ),
        redis=redis_from_url(
            settings.redis_url.get_secret_value(), socket_timeout=settings.redis_timeout_seconds
        ),
        history=ServiceHistory(engine, producer),
    )


async def get_state(request: Request) -> AdminState:
    state = request.app.state.admin
    assert isinstance(state, AdminState)
    return state


State = Annotated[AdminState, Depends(get_state)]
