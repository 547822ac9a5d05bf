"""Recipients' unsubscribe requests (with their email addresses) are kept at most 90 days, as GOV.UK
Notify keeps them: the projector's retention run deletes older ones with the other personal data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db import create_engine
from notify_common.events import EmailRequested, Event, UnsubscribeRequested
from notify_common.settings import CommonSettings
from notify_projector.periodic import apply_retention
from notify_projector.projection import project

SERVICE = "0d5f3c1a-7b2e-4c9d-8e1f-2a3b4c5d6e7f"
TEMPLATE = "5b1b4a52-2a3c-4f6e-9d8f-0a1b2c3d4e5f"


@pytest.fixture
async def db(own_database: CommonSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_database, pool_size=2)
    yield engine
    await engine.dispose()


def unsubscribed(at: datetime) -> tuple[str, list[Event]]:
    nid = str(uuid.uuid4())
    sent_at = at - timedelta(days=1)
    email = EmailRequested(
        notification_id=nid, service_id=SERVICE, occurred_at=sent_at, created_at=sent_at,
        template_id=TEMPLATE, template_version=1, key_type="normal", email_address="ada@example.com",
        subject="News", body="Hello", from_name="Service", has_unsubscribe_link=True,
    )  # fmt: skip
    request = UnsubscribeRequested(notification_id=nid, service_id=SERVICE, requested_at=at, occurred_at=at)
    return nid, [email, request]


async def test_requests_older_than_90_days_are_deleted_and_newer_ones_kept(db: AsyncEngine) -> None:
    now = datetime.now(UTC)
    _, old_events = unsubscribed(now - timedelta(days=91))
    recent, recent_events = unsubscribed(now - timedelta(days=89))
    await project(db, old_events + recent_events)
    await apply_retention(db, default_days=7, batch=1)
    async with db.connect() as conn:
        kept = (
            await conn.execute(text("SELECT CAST(notification_id AS text) FROM unsubscribe_requests"))
        ).all()
    assert [r[0] for r in kept] == [recent]
