"""A service's dashboard counts per channel come live from the analytics service (a fake one on
httpx's MockTransport), and from the admin API, saying so, when analytics cannot answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console.analytics import AnalyticsClient, live_counts
from notify_admin_console.app import create_app
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.fake_gateway import ok, refused
from tests.unit.admin_console.test_permissions import SECRET, SERVICE, person, signed_in

DATABASE_FIGURES = {
    "days": 7,
    "channels": {
        "email": {"requested": 11, "delivered": 10, "failed": 1, "sending": 0, "failed_percentage": 9.1},
        "sms": {"requested": 22, "delivered": 20, "failed": 2, "sending": 0, "failed_percentage": 9.1},
        "letter": {"requested": 0, "delivered": 0, "failed": 0, "sending": 0, "failed_percentage": 0.0},
    },
    "templates": [],
    "scheduled_jobs": [],
    "inbound": {"count": 0, "latest": None},
}
ANALYTICS_DAYS = {
    "service_id": SERVICE,
    "days": 7,
    "channels": {
        "sms": {"requested": 1_234, "delivered": 1_190, "failed": 37, "sent": 1_234},
        "email": {"requested": 5, "delivered": 5, "failed": 0},
    },
    "total": {"requested": 1_239},
}


def admin_api(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/admin/console/users/viewer":
        return ok(person("viewer", ["view_activity"]))
    if path == f"/admin/services/{SERVICE}":
        return ok({"id": SERVICE, "name": "Test", "live": True, "prefix_sms": False})
    if path == f"/admin/console/services/{SERVICE}/dashboard":
        return ok(DATABASE_FIGURES)
    return refused(404, "Not found")


@contextmanager
def console(analytics: Callable[[httpx.Request], httpx.Response]) -> Iterator[TestClient]:
    settings = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET))
    app = create_app(
        settings,
        httpx.AsyncClient(transport=httpx.MockTransport(admin_api), base_url="http://admin-api"),
        analytics=httpx.AsyncClient(
            transport=httpx.MockTransport(analytics), base_url="http://analytics:6030"
        ),
    )
    with TestClient(app, follow_redirects=False) as client:
        for name, value in signed_in("viewer").items():
            client.cookies.set(name, value)
        yield client


def test_the_dashboard_shows_the_live_counts_of_the_analytics_service() -> None:
    asked: list[httpx.Request] = []

    def analytics(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json=ANALYTICS_DAYS)

    with console(analytics) as client:
        page = client.get(f"/services/{SERVICE}")
    assert page.status_code == 200
    assert [(r.url.path, r.url.params["days"]) for r in asked] == [(f"/stats/services/{SERVICE}/daily", "7")]
    assert "1,234" in page.text
    assert "1,190 delivered" in page.text
    assert "37 failed (3.0%)" in page.text
    assert "Live counts from the analytics service" in page.text
    assert "22" not in page.text.split("By template")[0]  # the database's count of texts is not shown


def test_with_analytics_down_the_dashboard_shows_the_databases_counts_and_says_so() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with console(down) as client:
        page = client.get(f"/services/{SERVICE}")
    assert page.status_code == 200
    assert "Live counts are not available: the analytics service is not answering." in page.text
    assert "These counts are from the notifications database." in page.text
    assert "2 failed (9.1%)" in page.text


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(503, json={"status": "starting"}), "the analytics service answered 503"),
        (httpx.Response(200, text="<html>"), "the analytics service's answer was not JSON"),
        (
            httpx.Response(200, json={"days": []}),
            "the analytics service's answer was not the service's statistics",
        ),
        (
            httpx.Response(200, json={"channels": {"sms": {"requested": "many"}}}),
            "the analytics service's answer was not the service's statistics",
        ),
        (
            httpx.Response(200, json={"channels": {"sms": {"requested": 3, "failed": -1}}}),
            "the analytics service's answer was not the service's statistics",
        ),
    ],
)
async def test_an_answer_that_is_not_a_services_statistics_is_reported_not_shown(
    answer: httpx.Response, message: str
) -> None:
    client = AnalyticsClient(
        httpx.AsyncClient(transport=httpx.MockTransport(lambda r: answer), base_url="http://a")
    )
    found = await live_counts(client, SERVICE, 7)
    assert (found.available, found.message) == (False, message)


async def test_live_counts_are_per_channel_with_the_failed_percentage_and_zero_for_channels_not_seen() -> (
    None
):
    asked: list[str] = []

    def analytics(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.raw_path, "ascii"))
        return httpx.Response(200, json=ANALYTICS_DAYS)

    client = AnalyticsClient(httpx.AsyncClient(transport=httpx.MockTransport(analytics), base_url="http://a"))
    found = await live_counts(client, "a/b c", 3)
    assert asked == ["/stats/services/a%2Fb%20c/daily?days=3"]
    expected: dict[str, Any] = {
        "sms": {"requested": 1_234, "delivered": 1_190, "failed": 37, "failed_percentage": 3.0},
        "email": {"requested": 5, "delivered": 5, "failed": 0, "failed_percentage": 0.0},
        "letter": {"requested": 0, "delivered": 0, "failed": 0, "failed_percentage": 0.0},
    }
    assert found.available is True
    assert found.channels == expected
