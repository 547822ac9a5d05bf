"""The admin API's unsubscribe requests and reports, on the real database: requests recorded by the
projector (from the events, as it records them) are listed, counted for the dashboard, grouped into
a report that takes exactly the requests in none yet, downloaded as CSV and as an Excel spreadsheet
with Notify's columns, and marked processed."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from python_calamine import CalamineWorkbook

from notify_api_gateway.settings import ApiSettings
from notify_common.db import create_engine
from notify_common.events import EmailRequested, Event, UnsubscribeRequested
from notify_projector.projection import project
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin

HEADER = [
    "Email address",
    "Template name",
    "Uploaded spreadsheet file name",
    "Template sent at",
    "Unsubscribe request received at",
]


async def _project(settings: ApiSettings, events: list[Event]) -> None:
    engine = create_engine(settings, pool_size=1)
    try:
        await project(engine, events)
    finally:
        await engine.dispose()


def unsubscribed(settings: ApiSettings, sandbox: Sandbox, address: str, at: datetime) -> str:
    """An email to ``address`` and its recipient's unsubscribe request, projected."""
    nid = str(uuid.uuid4())
    email = EmailRequested(
        notification_id=nid,
        service_id=sandbox.service_id,
        template_id=sandbox.templates["email"],
        template_version=1,
        key_type="normal",
        email_address=address.lower(),
        email_address_as_sent=address,
        subject="Hello",
        body="Hello",
        from_name="Service",
        created_at=at - timedelta(days=1),
        has_unsubscribe_link=True,
    )
    request = UnsubscribeRequested(
        notification_id=nid,
        service_id=sandbox.service_id,
        template_id=sandbox.templates["email"],
        template_version=1,
        requested_at=at,
    )
    asyncio.run(_project(settings, [email, request]))
    return nid


def call(sandbox: Sandbox, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}/unsubscribe-requests{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )


def data(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()["data"]


def test_requests_are_grouped_downloaded_and_marked_processed(
    api_url: str, sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    first = unsubscribed(gateway_settings, sandbox, "Ada@Example.com", noon)
    second = unsubscribed(gateway_settings, sandbox, "=HYPERLINK(1)@example.com", noon + timedelta(hours=1))
    assert data(call(sandbox, "GET", "/statistics"))["count"] == 2
    [unbatched] = data(call(sandbox, "GET", "/reports"))
    assert (unbatched["batch_id"], unbatched["count"], unbatched["is_a_batched_report"]) == (None, 2, False)

    created = call(sandbox, "POST", "/reports")
    assert created.status_code == 201
    report_id = data(created)["report_id"]
    assert data(created)["count"] == 2
    later = unsubscribed(gateway_settings, sandbox, "bo@example.com", noon + timedelta(days=1))
    summary = data(call(sandbox, "GET", "/reports"))
    assert [(r["batch_id"], r["count"]) for r in summary] == [(None, 1), (report_id, 2)]
    listed = {r["notification_id"]: r["report_id"] for r in data(call(sandbox, "GET", ""))}
    assert listed == {first: report_id, second: report_id, later: None}

    report = data(call(sandbox, "GET", f"/reports/{report_id}"))
    assert report["earliest_timestamp"] == noon.isoformat()
    assert {r["email_address"] for r in report["unsubscribe_requests"]} == {
        "Ada@Example.com",
        "=HYPERLINK(1)@example.com",
    }
    expected = [
        HEADER,
        ["'=HYPERLINK(1)@example.com", "email", "N/A", "2026-03-01 13:00:00", "2026-03-02 13:00:00"],
        ["Ada@Example.com", "email", "N/A", "2026-03-01 12:00:00", "2026-03-02 12:00:00"],
    ]
    as_csv = call(sandbox, "GET", f"/reports/{report_id}.csv")
    assert as_csv.headers["content-disposition"] == (
        'attachment; filename="Email unsubscribe requests 02-03-2026 to 02-03-2026.csv"'
    )
    assert sorted(csv.reader(io.StringIO(as_csv.text))) == sorted(expected)
    as_xlsx = call(sandbox, "GET", f"/reports/{report_id}.xlsx")
    assert as_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(as_xlsx.content)).get_sheet_by_index(0).to_python()
    assert sorted(sheet) == sorted(expected)

    data(call(sandbox, "POST", f"/reports/{report_id}/processed", {"report_has_been_processed": True}))
    assert data(call(sandbox, "GET", "/statistics"))["count"] == 1
    assert data(call(sandbox, "GET", f"/reports/{report_id}"))["processed_by_service_at"] is not None
    data(call(sandbox, "POST", f"/reports/{report_id}/processed", {"report_has_been_processed": False}))
    assert data(call(sandbox, "GET", "/statistics"))["count"] == 3


def test_a_report_of_nothing_and_another_services_report_are_refused(
    api_url: str, sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    nothing = call(sandbox, "POST", "/reports")
    assert nothing.status_code == 400
    assert nothing.json()["errors"] == [
        {"error": "AdminError", "message": "There are no unsubscribe requests to report"}
    ]
    unsubscribed(gateway_settings, sandbox, "ada@example.com", datetime.now(UTC))
    report_id = data(call(sandbox, "POST", "/reports"))["report_id"]
    made = admin(api_url, "POST", "/services", {"name": f"o-{uuid.uuid4().hex[:8]}", "email_from": "o"})
    other = Sandbox(url=sandbox.url, service_id=made["id"], admin_url=sandbox.admin_url)
    for path in (f"/reports/{report_id}", f"/reports/{report_id}.csv", "/reports/not-a-uuid"):
        assert call(other, "GET", path).status_code == 404
    marked = call(other, "POST", f"/reports/{report_id}/processed", {"report_has_been_processed": True})
    assert marked.status_code == 404
