"""The console's report of sent messages, streamed as CSV from PostgreSQL: Notify's columns, who sent
a spreadsheet and with which key an API message went, the page's filters, more rows than one chunk,
cells a spreadsheet would run made harmless; and the conversation with one phone number."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, insert, select

from notify_admin_api import console_reports, report_csv
from notify_admin_api.tables.configuration import api_keys
from notify_admin_api.tables.console import console_uploads
from notify_projector.tables import inbound_sms, notifications
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin
from tests.support import env

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


def rows(sandbox: Sandbox, n: int, start: datetime, **columns: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "service_id": sandbox.service_id,
            "template_id": sandbox.templates["sms"],
            "template_version": 1,
            "notification_type": "sms",
            "key_type": "normal",
            "recipient": "447700900123",
            "status": "delivered",
            "body": f"body {i}",
            "created_at": start + timedelta(seconds=i),
            "job_id": None,
            "api_key_id": None,
            "client_reference": None,
            **columns,
        }
        for i in range(n)
    ]


def report(sandbox: Sandbox, **params: str) -> list[list[str]]:
    url = f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}/notifications.csv"
    with httpx.stream("GET", url, params=params, headers=HEADERS, timeout=60) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/csv")
        assert "content-length" not in response.headers  # streamed, not built whole
        text = "".join(response.iter_text())
    return list(csv.reader(io.StringIO(text)))


def test_the_report_has_notifys_columns_and_says_who_sent_what(db: Any, sandbox: Sandbox) -> None:
    person = admin(
        sandbox.url,
        "POST",
        "/console/users",
        {
            "name": "Ada Lovelace",
            "email_address": f"ada.{uuid.uuid4().hex[:6]}@example.gov.uk",
            "password": "long enough",
            "mobile_number": "07700900123",
        },
    )
    job_id = str(uuid.uuid4())
    with db.begin() as conn:
        key_id = conn.scalar(
            select(api_keys.c.id).where(
                api_keys.c.service_id == sandbox.service_id, api_keys.c.name == "normal key"
            )
        )
        conn.execute(
            insert(console_uploads).values(
                id=job_id,
                service_id=sandbox.service_id,
                template_id=sandbox.templates["sms"],
                original_file_name="reminders.xlsx",
                created_by=person["id"],
                valid=True,
                report={},
            )
        )
        start = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
        conn.execute(
            insert(notifications),
            rows(sandbox, 1, start, job_id=job_id, status="permanent-failure")
            + rows(
                sandbox, 1, start + timedelta(minutes=1), api_key_id=key_id, client_reference="=HYPERLINK(1)"
            ),
        )
    found = report(sandbox)
    assert found[0] == list(report_csv.COLUMNS)
    api_row, job_row = found[1], found[2]
    assert api_row == [
        "447700900123",
        "'=HYPERLINK(1)",
        "sms",
        "sms",
        "",
        "",
        "",
        "Delivered",
        "2026-07-01 10:01:00",
        "normal key",
    ]
    assert job_row == [
        "447700900123",
        "",
        "sms",
        "sms",
        "Ada Lovelace",
        person["email_address"],
        "reminders.xlsx",
        "Phone number does not exist",
        "2026-07-01 10:00:00",
        "",
    ]


def test_the_report_streams_every_row_the_filters_select(db: Any, sandbox: Sandbox) -> None:
    many = console_reports.CHUNK_ROWS * 2 + 7
    start = datetime.now(UTC) - timedelta(days=1)
    with db.begin() as conn:
        conn.execute(insert(notifications), rows(sandbox, many, start))
        conn.execute(
            insert(notifications),
            rows(sandbox, 3, start, status="temporary-failure")
            + rows(
                sandbox,
                2,
                start,
                notification_type="email",
                template_id=sandbox.templates["email"],
                recipient="someone@example.gov.uk",
                status="sending",
            ),
        )
    assert len(report(sandbox)) == 1 + many + 5
    failed = report(sandbox, status="failed")
    assert [r[7] for r in failed[1:]] == ["Phone not accepting messages right now"] * 3
    emails = report(sandbox, template_type="email")
    assert [(r[0], r[3], r[7]) for r in emails[1:]] == [("someone@example.gov.uk", "email", "Sending")] * 2
    assert len(report(sandbox, status="delivered", template_type="sms")) == 1 + many


def test_a_report_for_an_unknown_service_or_a_bad_filter_is_refused(sandbox: Sandbox) -> None:
    base = f"{sandbox.admin_url}/admin/console/services"
    assert httpx.get(f"{base}/{uuid.uuid4()}/notifications.csv", headers=HEADERS).status_code == 404
    assert httpx.get(f"{base}/not-a-uuid/notifications.csv", headers=HEADERS).status_code == 400
    bad = httpx.get(f"{base}/{sandbox.service_id}/notifications.csv", params={"status": "x"}, headers=HEADERS)
    assert bad.status_code == 400
    assert httpx.get(f"{base}/{sandbox.service_id}/notifications.csv").status_code == 401


def test_a_conversation_has_the_texts_from_a_number_and_the_messages_sent_to_it(
    db: Any, sandbox: Sandbox
) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    first_in, later_in, stranger = (str(uuid.uuid4()) for _ in range(3))
    with db.begin() as conn:
        conn.execute(
            insert(inbound_sms),
            [
                {
                    "id": first_in,
                    "service_id": sandbox.service_id,
                    "user_number": "447700900555",
                    "notify_number": "07700900000",
                    "content": "Can I move it?",
                    "created_at": start,
                },
                {
                    "id": later_in,
                    "service_id": sandbox.service_id,
                    "user_number": "447700900555",
                    "notify_number": "07700900000",
                    "content": "Thanks",
                    "created_at": start + timedelta(minutes=2),
                },
                {
                    "id": stranger,
                    "service_id": sandbox.service_id,
                    "user_number": "447700900666",
                    "notify_number": "07700900000",
                    "content": "Other",
                    "created_at": start,
                },
            ],
        )
        conn.execute(
            insert(notifications),
            rows(sandbox, 1, start + timedelta(minutes=1), recipient="447700900555", body="Yes, to Friday")
            + rows(sandbox, 1, start, recipient="447700900666", body="not this one"),
        )
    answer = httpx.get(
        f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}/conversations/{later_in}",
        headers=HEADERS,
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()["data"]
    assert found["user_number"] == "447700900555"
    assert [(m["direction"], m["content"]) for m in found["messages"]] == [
        ("inbound", "Can I move it?"),
        ("outbound", "Yes, to Friday"),
        ("inbound", "Thanks"),
    ]
    assert found["messages"][1]["status"] == "delivered"
    missing = httpx.get(
        f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}/conversations/{uuid.uuid4()}",
        headers=HEADERS,
    )
    assert missing.status_code == 404
