"""The platform-admin tools through the admin API against PostgreSQL, over rows of the projector's
tables and the sms-sender's provider shares written here as those services write them: a
notification found by id, by reference or by recipient in any form; live services with this
financial year's volumes; complaints, newest first; the providers' shares with their history; and
messages per channel per day and per month, test keys left out."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, delete, insert

from notify_admin_api.platform_admin import financial_year
from notify_projector.tables import NO_JOB, complaints, ft_billing, ft_notification_status, notifications
from notify_sms_sender.tables import sms_provider_weight_changes, sms_provider_weights
from tests.integration.api_gateway.harness import ADMIN_TOKEN, admin, admin_url_of
from tests.support import env


@pytest.fixture(scope="module")
def db() -> Iterator[Engine]:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


def call(url: str, method: str, path: str, body: Any = None, token: str = ADMIN_TOKEN) -> httpx.Response:
    return httpx.request(
        method,
        f"{admin_url_of(url)}/admin/platform-admin{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def data(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def new_service(url: str, *, live: bool = True) -> str:
    body = {"name": f"platform-{secrets.token_hex(5)}", "email_from": "platform.admin", "live": live}
    return str(admin(url, "POST", "/services", body)["id"])


def notification(db: Engine, service_id: str, **values: Any) -> str:
    notification_id = str(uuid.uuid4())
    row = {"status": "delivered", "notification_type": "sms", "key_type": "normal", **values}
    with db.begin() as conn:
        conn.execute(
            insert(notifications).values(
                id=notification_id, service_id=service_id, created_at=datetime.now(UTC), **row
            )
        )
    return notification_id


def found_ids(url: str, search: str) -> list[str]:
    return [
        n["id"] for n in data(call(url, "POST", "/find-notifications", {"search": search}))["notifications"]
    ]


def test_a_notification_is_found_by_id_reference_or_recipient_in_any_form(api_url: str, db: Engine) -> None:
    service_id = new_service(api_url)
    reference = f"ref-{secrets.token_hex(6)}"
    text_id = notification(db, service_id, recipient="447700900111", client_reference=reference)
    # An email address is kept as it was given, in its own case.
    email_id = notification(
        db, service_id, notification_type="email", recipient=f"Ada.{reference}@Example.com"
    )
    other = notification(db, new_service(api_url), client_reference=str(uuid.UUID(text_id)))

    found = data(call(api_url, "POST", "/find-notifications", {"search": text_id}))["notifications"]
    assert {n["id"] for n in found} == {text_id, other}  # its id, and a reference that is that id
    mine = next(n for n in found if n["id"] == text_id)
    assert mine["service_id"] == service_id
    assert mine["service_name"].startswith("platform-")
    assert found_ids(api_url, f"  {reference} ") == [text_id]
    assert text_id in found_ids(api_url, "+44 7700 900111")
    assert text_id in found_ids(api_url, "07700900111")
    assert found_ids(api_url, f"ada.{reference.upper()}@EXAMPLE.com") == [email_id]
    assert found_ids(api_url, f" Ada.{reference}@Example.com") == [email_id]
    assert found_ids(api_url, f"nobody.{reference}@example.com") == []

    empty = call(api_url, "POST", "/find-notifications", {"search": "   "})
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["message"] == "Enter a notification ID, reference or recipient"
    assert (
        call(api_url, "POST", "/find-notifications", {"search": "x"}, token="wrong-token").status_code == 401
    )


def test_live_services_show_what_they_sent_this_financial_year(api_url: str, db: Engine) -> None:
    live, trial = new_service(api_url), new_service(api_url, live=False)
    year = financial_year(datetime.now(UTC).date())
    this_year, last_year = date(year, 4, 2), date(year, 3, 30)
    rows = [
        (live, this_year, "sms", 3, 2),
        (live, this_year, "email", 7, 1),
        (live, this_year, "letter", 2, 1),
        (live, last_year, "sms", 100, 1),
        (trial, this_year, "sms", 5, 1),
    ]
    with db.begin() as conn:
        for service_id, day, channel, sent, units in rows:
            conn.execute(
                insert(ft_billing).values(
                    bst_date=day,
                    template_id=str(uuid.uuid4()),
                    service_id=service_id,
                    notification_type=channel,
                    provider="mmg",
                    rate_multiplier=1,
                    international=False,
                    postage="none",
                    billable_units=sent * units,
                    notifications_sent=sent,
                )
            )
    answer = data(call(api_url, "GET", "/live-services"))
    assert answer["financial_year"] == year
    by_id = {s["id"]: s for s in answer["services"]}
    assert trial not in by_id
    assert {k: by_id[live][k] for k in ("sms", "sms_fragments", "email", "letter")} == {
        "sms": 3,
        "sms_fragments": 6,
        "email": 7,
        "letter": 2,
    }
    earlier = {s["id"]: s for s in data(call(api_url, "GET", f"/live-services?year={year - 1}"))["services"]}
    assert earlier[live]["sms"] == 100
    assert call(api_url, "GET", "/live-services?year=1999").status_code == 400


def test_complaints_are_listed_newest_first_with_their_service(api_url: str, db: Engine) -> None:
    service_id = new_service(api_url)
    made = []
    with db.begin() as conn:
        for minutes in (10, 0):
            complaint_id = str(uuid.uuid4())
            conn.execute(
                insert(complaints).values(
                    id=complaint_id,
                    notification_id=str(uuid.uuid4()),
                    service_id=service_id,
                    feedback_id=f"feedback-{minutes}",
                    complaint_type="abuse",
                    complaint_date=datetime.now(UTC) - timedelta(minutes=minutes),
                    created_at=datetime.now(UTC) - timedelta(seconds=minutes),
                )
            )
            made.append(complaint_id)
    listed = data(call(api_url, "GET", "/complaints"))
    assert [c["id"] for c in listed["complaints"][:2]] == [made[1], made[0]]
    assert listed["complaints"][0]["service_name"].startswith("platform-")
    assert listed["complaints"][0]["complaint_type"] == "abuse"
    assert listed["page"] == 1


def test_sms_providers_show_their_shares_and_every_change(api_url: str, db: Engine) -> None:
    first, second = f"prov-{secrets.token_hex(3)}", f"prov-{secrets.token_hex(3)}"
    detail = f"test change {secrets.token_hex(4)}"
    with db.begin() as conn:
        conn.execute(
            insert(sms_provider_weights).values(
                [{"provider": first, "weight": 60}, {"provider": second, "weight": 40}]
            )
        )
        conn.execute(
            insert(sms_provider_weight_changes).values(
                weights_before={first: 50, second: 50},
                weights_after={first: 60, second: 40},
                reason="errors",
                detail=detail,
            )
        )
    try:
        answer = data(call(api_url, "GET", "/sms-providers"))
    finally:  # the senders of later tests read every stored weight: leave none of these
        with db.begin() as conn:
            conn.execute(
                delete(sms_provider_weights).where(sms_provider_weights.c.provider.in_([first, second]))
            )
            conn.execute(
                delete(sms_provider_weight_changes).where(sms_provider_weight_changes.c.detail == detail)
            )
    shares = {p["provider"]: p for p in answer["providers"]}
    total = sum(p["weight"] for p in answer["providers"])
    assert (shares[first]["weight"], shares[first]["percentage"]) == (60, round(100 * 60 / total))
    assert shares[second]["weight"] == 40
    latest = answer["history"][0]
    assert latest["detail"] == detail
    assert latest["reason"] == "errors"
    assert latest["weights_before"] == {first: 50, second: 50}
    assert latest["weights_after"] == {first: 60, second: 40}


def test_usage_counts_messages_per_channel_by_day_and_month_without_test_keys(
    api_url: str, db: Engine
) -> None:
    service_id = new_service(api_url)
    before = data(call(api_url, "GET", "/usage?days=7"))
    today = datetime.now(UTC).date()
    facts = [
        (today, "sms", "normal", 4),
        (today, "email", "team", 2),
        (today, "email", "test", 50),
        (today - timedelta(days=3), "letter", "normal", 1),
    ]
    with db.begin() as conn:
        for day, channel, key_type, count in facts:
            conn.execute(
                insert(ft_notification_status).values(
                    bst_date=day,
                    template_id=str(uuid.uuid4()),
                    service_id=service_id,
                    job_id=NO_JOB,
                    notification_type=channel,
                    key_type=key_type,
                    notification_status="delivered",
                    notification_count=count,
                )
            )
    after = data(call(api_url, "GET", "/usage?days=7"))
    assert len(after["daily"]) == 7
    assert after["daily"][0]["period"] == today.isoformat()

    def grew(kind: str, index: int, channel: str) -> int:
        return int(after[kind][index][channel]) - int(before[kind][index][channel])

    assert (grew("daily", 0, "sms"), grew("daily", 0, "email"), grew("daily", 0, "letter")) == (4, 2, 0)
    assert after["daily"][3]["period"] == (today - timedelta(days=3)).isoformat()
    assert grew("daily", 3, "letter") == 1
    assert after["monthly"][0]["period"] == today.replace(day=1).isoformat()
    month_letters = 1 if (today - timedelta(days=3)).month == today.month else 0
    assert (grew("monthly", 0, "sms"), grew("monthly", 0, "email"), grew("monthly", 0, "letter")) == (
        4,
        2,
        month_letters,
    )
    assert after["financial_year"] == financial_year(today)
