"""The public performance page: what it shows from the analytics service's daily statistics (a
fake analytics service on httpx's MockTransport), that anyone may read it, and that it still
renders, saying so, when the analytics service cannot answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console.app import create_app
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.fake_gateway import refused
from tests.unit.admin_console.test_permissions import SECRET


def day(date: str, email: int, sms: int, share: float | None, services: int) -> dict[str, Any]:
    return {
        "date": date,
        "channels": {"email": {"requested": email}, "sms": {"requested": sms}},
        "total": {"share_sent_within_10_seconds": share},
        "services": services,
    }


DAILY = {"channel": None, "days": [day("2026-12-04", 1200, 30, 0.9987, 4), day("2026-12-05", 7, 0, None, 2)]}


@contextmanager
def console(analytics: httpx.MockTransport) -> Iterator[TestClient]:
    settings = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET))
    app = create_app(
        settings,
        httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: refused(404, "Not found")), base_url="http://gw"
        ),
        analytics=httpx.AsyncClient(transport=analytics, base_url="http://analytics:6030"),
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_anyone_sees_messages_sent_per_day_by_channel_the_share_within_10_seconds_and_live_services() -> None:
    asked: list[httpx.Request] = []

    def analytics(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json=DAILY)

    with console(httpx.MockTransport(analytics)) as client:
        page = client.get("/performance")
        data = client.get("/performance/data")
    assert page.status_code == 200
    assert asked[0].url.path == "/stats/daily"
    assert asked[0].url.params["days"] == "7"
    assert "Friday 4 December 2026" in page.text
    assert "1,200" in page.text
    assert "1,207" in page.text  # emails over the days shown
    assert "99.87%" in page.text
    assert "No messages" in page.text  # a day with nothing timed yet
    report = data.json()
    assert report["live_services"] == 4
    assert [d["sent"] for d in report["days"]] == [
        {"email": 1200, "sms": 30, "letter": 0},
        {"email": 7, "sms": 0, "letter": 0},
    ]


def test_with_the_analytics_service_down_the_page_still_renders_and_says_so() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with console(httpx.MockTransport(down)) as client:
        page = client.get("/performance")
        data = client.get("/performance/data")
    assert page.status_code == 200
    assert "There is no performance data to show: the analytics service is not answering." in page.text
    assert data.json()["available"] is False


def test_an_answer_that_is_not_the_daily_statistics_is_reported_not_shown() -> None:
    with console(httpx.MockTransport(lambda r: httpx.Response(200, json={"oops": 1}))) as client:
        page = client.get("/performance")
    assert page.status_code == 200
    assert "was not its daily statistics" in page.text
