"""The console's unsubscribe pages and the template form's "Add an unsubscribe link", against a
fake admin API: what they show and the calls they make."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.unit.admin_console.fake_gateway import console_client, ok
from tests.unit.admin_console.test_permissions import CSRF, SERVICE, person, signed_in

EDITOR = person("editor", ["view_activity", "manage_templates"])
REPORT = "4f1c2d3e-0000-4000-8000-0000000000aa"
EMAIL_TEMPLATE = {
    "id": "7e1a0000-0000-4000-8000-000000000001",
    "name": "Newsletter",
    "template_type": "email",
    "subject": "News",
    "content": "Hello",
    "has_unsubscribe_link": True,
}
SUMMARY: list[dict[str, Any]] = [
    {
        "batch_id": None,
        "count": 2,
        "earliest_timestamp": "2026-11-20T09:00:00+00:00",
        "latest_timestamp": "2026-11-21T09:00:00+00:00",
        "processed_by_service_at": None,
        "is_a_batched_report": False,
    },
    {
        "batch_id": REPORT,
        "count": 5,
        "earliest_timestamp": "2026-11-01T09:00:00+00:00",
        "latest_timestamp": "2026-11-02T09:00:00+00:00",
        "processed_by_service_at": "2026-11-03T09:00:00+00:00",
        "is_a_batched_report": True,
    },
]


class FakeAdmin:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.waiting = 3

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if method != "GET":
            self.calls.append((method, path, json.loads(request.content) if request.content else None))
        if path == "/admin/console/users/editor":
            return ok(EDITOR)
        if path == f"/admin/services/{SERVICE}":
            return ok({"id": SERVICE, "name": "Test", "live": True})
        if path.endswith(f"/templates/{EMAIL_TEMPLATE['id']}") and method == "GET":
            return ok(EMAIL_TEMPLATE)
        if path.endswith("/templates") and method == "POST":
            return ok({"id": EMAIL_TEMPLATE["id"]}, 201)
        if path.endswith("/dashboard"):
            figures = {
                "days": 7,
                "channels": {c: {"requested": 0, "delivered": 0, "failed": 0, "failed_percentage": 0.0}
                             for c in ("email", "sms", "letter")},
                "templates": [],
                "scheduled_jobs": [],
                "inbound": {"count": 0, "latest": None},
                "unsubscribe_requests": {"count": self.waiting, "latest": "2026-11-21T09:00:00+00:00"},
            }  # fmt: skip
            return ok(figures)
        if path.endswith("/unsubscribe-requests/reports") and method == "GET":
            return ok(SUMMARY)
        if path.endswith("/unsubscribe-requests/reports") and method == "POST":
            return ok({"report_id": REPORT, "count": 2}, 201)
        if path.endswith(f"/reports/{REPORT}") and method == "GET":
            return ok({**SUMMARY[1], "unsubscribe_requests": []})
        return ok({})


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def client(fake: FakeAdmin) -> Iterator[TestClient]:
    with console_client(fake) as test_client:
        for name, value in signed_in("editor").items():
            test_client.cookies.set(name, value)
        yield test_client


def post(client: TestClient, path: str, **fields: str) -> httpx.Response:
    response: httpx.Response = client.post(path, data={"csrf_token": CSRF, **fields})
    return response


def test_only_the_email_template_form_asks_for_an_unsubscribe_link(client: TestClient) -> None:
    email = client.get(f"/services/{SERVICE}/templates/add?type=email").text
    assert 'name="has_unsubscribe_link"' in email
    assert "Add an unsubscribe link" in email
    assert 'name="has_unsubscribe_link"' not in client.get(f"/services/{SERVICE}/templates/add?type=sms").text


def test_the_choice_is_sent_with_a_new_email_template_and_shown_when_editing(
    client: TestClient, fake: FakeAdmin
) -> None:
    fields = {"template_type": "email", "name": "N", "subject": "S", "content": "Hello"}
    post(client, f"/services/{SERVICE}/templates/add", **fields, has_unsubscribe_link="y")
    post(client, f"/services/{SERVICE}/templates/add", **fields)
    post(client, f"/services/{SERVICE}/templates/add", **{**fields, "template_type": "sms"})
    sent = [body for method, path, body in fake.calls if path.endswith("/templates")]
    assert [body.get("has_unsubscribe_link") for body in sent] == [True, False, None]
    edit = client.get(f"/services/{SERVICE}/templates/{EMAIL_TEMPLATE['id']}/edit").text
    assert 'value="y" aria-describedby="has_unsubscribe_link-hint" checked>' in edit


def test_the_dashboard_links_the_waiting_requests_to_the_reports(client: TestClient, fake: FakeAdmin) -> None:
    shown = client.get(f"/services/{SERVICE}").text
    assert f'href="/services/{SERVICE}/unsubscribe-requests">3 email unsubscribe requests</a>' in shown
    fake.waiting = 0
    assert "unsubscribe request" not in client.get(f"/services/{SERVICE}").text


def test_the_reports_page_offers_a_report_of_the_waiting_requests_and_lists_the_others(
    client: TestClient, fake: FakeAdmin
) -> None:
    shown = client.get(f"/services/{SERVICE}/unsubscribe-requests").text
    assert "Create report" in shown
    assert f'href="/services/{SERVICE}/unsubscribe-requests/reports/{REPORT}"' in shown
    assert "Completed" in shown
    made = post(client, f"/services/{SERVICE}/unsubscribe-requests/reports")
    assert made.headers["location"] == f"/services/{SERVICE}/unsubscribe-requests/reports/{REPORT}"
    assert ("POST", f"/admin/console/services/{SERVICE}/unsubscribe-requests/reports", {}) in fake.calls


def test_a_report_is_marked_completed_and_back(client: TestClient, fake: FakeAdmin) -> None:
    page = client.get(f"/services/{SERVICE}/unsubscribe-requests/reports/{REPORT}").text
    assert f"/unsubscribe-requests/reports/{REPORT}.csv" in page
    assert f"/unsubscribe-requests/reports/{REPORT}.xlsx" in page
    post(client, f"/services/{SERVICE}/unsubscribe-requests/reports/{REPORT}", report_has_been_processed="y")
    post(client, f"/services/{SERVICE}/unsubscribe-requests/reports/{REPORT}")
    marks = [body for method, path, body in fake.calls if path.endswith("/processed")]
    assert marks == [{"report_has_been_processed": True}, {"report_has_been_processed": False}]
