"""The platform-admin pages: only platform admins see them; the index links every tool; a search
for a notification goes to the admin API in a POST body and is answered in place, never in a URL;
live services, complaints, the SMS providers' history and platform usage show what the admin API
answers. The admin API is faked (tests/unit/admin_console/fake_gateway.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.unit.admin_console.fake_gateway import console_client, ok, refused
from tests.unit.admin_console.test_permissions import CSRF, person, signed_in

PAGES = (
    "/platform-admin",
    "/platform-admin/find-notification",
    "/platform-admin/live-services",
    "/platform-admin/complaints",
    "/platform-admin/providers",
    "/platform-admin/usage",
)
SERVICE = "6a9c1d0e-0000-4000-8000-000000000001"
NOTIFICATION = "9f0e8c3a-0000-4000-8000-000000000001"


class Gateway:
    def __init__(self, platform_admin: bool = True) -> None:
        self.account: dict[str, Any] = {**person("ada", []), "platform_admin": platform_admin}
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body: Any = json.loads(request.content) if request.content else {}
        self.calls.append((request.method, str(request.url), body))
        if path == "/admin/console/users/ada":
            return ok(self.account)
        if path == "/admin/platform-admin/find-notifications":
            if body["search"] == "nothing":
                return ok({"notifications": [], "more": False})
            if body["search"] == "bad":
                return refused(400, "Enter a notification ID, reference or recipient")
            found = {
                "id": NOTIFICATION,
                "service_id": SERVICE,
                "service_name": "Tax reminders",
                "notification_type": "sms",
                "status": "delivered",
                "key_type": "normal",
                "recipient": "447700900111",
                "client_reference": "ref-1",
                "created_at": "2026-12-05T09:00:00+00:00",
            }
            return ok({"notifications": [found], "more": False})
        if path == "/admin/platform-admin/live-services":
            year = int(request.url.params.get("year", "2026"))
            services = [
                {"id": SERVICE, "name": "Tax reminders", "created_at": "2026-04-01T09:00:00+00:00"}
                | {"went_live_at": None, "sms": 1200, "sms_fragments": 2400, "email": 30, "letter": 4}
            ]
            return ok({"financial_year": year, "services": services})
        if path == "/admin/platform-admin/complaints":
            complaint = {
                "id": "c1",
                "notification_id": NOTIFICATION,
                "service_id": SERVICE,
                "service_name": "Tax reminders",
                "complaint_type": "abuse",
                "complaint_date": "2026-12-04T10:00:00+00:00",
                "created_at": "2026-12-04T10:00:01+00:00",
            }
            return ok({"complaints": [complaint], "page": 1, "has_next": True})
        if path == "/admin/platform-admin/sms-providers":
            return ok(
                {
                    "providers": [
                        {
                            "provider": "firetext",
                            "weight": 39,
                            "percentage": 39,
                            "updated_at": "2026-12-05T09:00:00Z",
                        },
                        {
                            "provider": "mmg",
                            "weight": 61,
                            "percentage": 61,
                            "updated_at": "2026-12-05T09:00:00Z",
                        },
                    ],
                    "history": [
                        {
                            "id": 1,
                            "changed_at": "2026-12-05T09:00:00+00:00",
                            "weights_before": {"mmg": 51, "firetext": 49},
                            "weights_after": {"mmg": 61, "firetext": 39},
                            "reason": "errors",
                            "detail": "firetext: 51 failed calls in 60 s",
                        }
                    ],
                }
            )
        if path == "/admin/platform-admin/usage":
            daily = [{"period": "2026-12-05", "sms": 1500, "email": 20, "letter": 0}]
            monthly = [{"period": "2026-12-01", "sms": 31000, "email": 400, "letter": 7}]
            return ok({"daily": daily, "monthly": monthly, "financial_year": 2026})
        return ok([])


def test_only_platform_admins_see_the_platform_admin_pages() -> None:
    with console_client(Gateway(platform_admin=False)) as client:
        client.cookies.update(signed_in("ada"))
        assert {path: client.get(path).status_code for path in PAGES} == dict.fromkeys(PAGES, 403)
    with console_client(Gateway()) as client:
        client.cookies.update(signed_in("ada"))
        assert {path: client.get(path).status_code for path in PAGES} == dict.fromkeys(PAGES, 200)


def test_the_index_links_every_tool_and_the_account_bar_links_the_index() -> None:
    with console_client(Gateway()) as client:
        client.cookies.update(signed_in("ada"))
        index = client.get("/platform-admin").text
    for href in (
        *PAGES[1:],
        "/platform-admin/branding",
        "/platform-admin/go-live-requests",
        "/platform-admin/health",
    ):
        assert f'href="{href}"' in index, href
    assert '<a class="govuk-link" href="/platform-admin">Platform admin</a>' in index


def test_a_search_goes_in_the_body_and_is_answered_in_place() -> None:
    gateway = Gateway()
    with console_client(gateway) as client:
        client.cookies.update(signed_in("ada"))
        found = client.post(
            "/platform-admin/find-notification", data={"csrf_token": CSRF, "search": "07700 900111"}
        )
        assert found.status_code == 200
        assert "1 notification found" in found.text
        assert f'href="/services/{SERVICE}/notifications/{NOTIFICATION}"' in found.text
        assert "Tax reminders" in found.text
        assert "reference ref-1" in found.text
        none = client.post(
            "/platform-admin/find-notification", data={"csrf_token": CSRF, "search": "nothing"}
        )
        assert "No notifications found" in none.text
        empty = client.post("/platform-admin/find-notification", data={"csrf_token": CSRF, "search": " "})
        assert empty.status_code == 400
        assert "Enter a notification ID, reference or recipient" in empty.text
        refused_search = client.post(
            "/platform-admin/find-notification", data={"csrf_token": CSRF, "search": "bad"}
        )
        assert refused_search.status_code == 400
    searches = [(url, body) for method, url, body in gateway.calls if url.endswith("/find-notifications")]
    assert searches[0] == (
        "http://admin-api/admin/platform-admin/find-notifications",
        {"search": "07700 900111"},
    )
    assert all("900111" not in url for _, url, _ in gateway.calls)


def test_live_services_complaints_providers_and_usage_show_the_admin_apis_figures() -> None:
    with console_client(Gateway()) as client:
        client.cookies.update(signed_in("ada"))
        live = client.get("/platform-admin/live-services?year=2025").text
        complaints = client.get("/platform-admin/complaints").text
        providers = client.get("/platform-admin/providers").text
        usage = client.get("/platform-admin/usage").text
    assert "1 April 2025 to 31 March 2026" in live
    assert "1,200 text messages, 30 emails and 4 letters in all" in live
    assert "2,400" in live
    assert 'href="/platform-admin/live-services?year=2024"' in live
    assert NOTIFICATION in complaints
    assert "abuse" in complaints
    assert 'href="/platform-admin/complaints?page_number=2"' in complaints
    assert "61%" in providers
    assert "mmg 51 → 61" in providers
    assert "firetext 49 → 39" in providers
    assert "Provider errors" in providers
    assert "51 failed calls in 60 s" in providers
    assert "December 2026" in usage
    assert "31,000" in usage
    assert "Saturday 5 December 2026" in usage
    assert "1,500" in usage
