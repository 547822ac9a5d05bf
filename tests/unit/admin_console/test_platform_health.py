"""The platform health page: the Prometheus client's reading of the HTTP API's shapes and its
failures (a fake Prometheus on httpx's MockTransport, and a port where nothing listens), the report
the page and its JSON are built from, and who may see them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console.app import create_app
from notify_admin_console.platform_health import (
    CHARTS,
    STEP_SECONDS,
    UP_QUERY,
    WINDOW_SECONDS,
    describe,
    legend,
    report,
)
from notify_admin_console.prometheus import PrometheusClient, PrometheusUnavailable
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.fake_gateway import ok, refused
from tests.unit.admin_console.test_permissions import SECRET, person, signed_in

NOW = 1_789_999_995.0  # a multiple of the step, so the window ends at NOW itself
ADMIN = {**person("platform-admin", []), "platform_admin": True}
USERS = {"platform-admin": ADMIN, "manager": person("manager", ["manage_service"])}
Handler = Callable[[httpx.Request], httpx.Response]


def success(kind: str, result: Any) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": {"resultType": kind, "result": result}})


def prometheus(handler: Handler) -> PrometheusClient:
    return PrometheusClient(
        httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://prom:9090")
    )


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# --- the client ----------------------------------------------------------------------------------


def test_a_range_query_sends_the_query_and_window_and_reads_each_series_with_gaps_for_nan() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return success(
            "matrix",
            [
                {"metric": {"channel": "sms"}, "values": [[NOW - 15, "1.5"], [NOW, "NaN"]]},
                {"metric": {"channel": "email"}, "values": [[NOW, "+Inf"]]},
            ],
        )

    found = run(prometheus(handler).query_range("sum(x)", NOW - 15, NOW, 15))
    assert seen[0].url.path == "/api/v1/query_range"
    assert dict(seen[0].url.params) == {
        "query": "sum(x)",
        "start": f"{NOW - 15:.3f}",
        "end": f"{NOW:.3f}",
        "step": "15",
    }
    assert [(s.labels, s.points) for s in found] == [
        ({"channel": "sms"}, ((NOW - 15, 1.5), (NOW, None))),
        ({"channel": "email"}, ((NOW, None),)),
    ]


def test_an_instant_query_reads_a_vector_and_a_scalar() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/query"
        if request.url.params["query"] == "up":
            return success("vector", [{"metric": {"job": "api-gateway"}, "value": [NOW, "1"]}])
        return success("scalar", [NOW, "42"])

    client = prometheus(handler)
    assert [(s.labels, s.points) for s in run(client.query("up"))] == [
        ({"job": "api-gateway"}, ((NOW, 1.0),))
    ]
    assert [(s.labels, s.points) for s in run(client.query("42"))] == [({}, ((NOW, 42.0),))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_nothing_listening_is_prometheus_unavailable_naming_its_url() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    client = PrometheusClient(httpx.AsyncClient(base_url=url, timeout=2))
    with pytest.raises(PrometheusUnavailable) as caught:
        run(client.query("up"))
    assert caught.value.message == f"Prometheus at {url} is not answering"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.ReadTimeout("slow"), "did not answer in time"),
        (
            httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": "parse error"}),
            "refused the query: parse error",
        ),
        (httpx.Response(502, text="<html>Bad gateway</html>"), "answered HTTP 502 without Prometheus' JSON"),
        (httpx.Response(200, json=["not", "an", "object"]), "answered HTTP 200 without Prometheus' JSON"),
        (success("streams", []), "a result of type 'streams', not a series"),
        (success("matrix", [{"metric": {}, "values": [["x", "1"]]}]), "cannot read"),
        (success("vector", [{"metric": {}, "value": [NOW]}]), "not [time, value]"),
    ],
)
def test_every_failure_is_prometheus_unavailable_with_a_sentence(
    answer: httpx.Response | Exception, message: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(PrometheusUnavailable) as caught:
        run(prometheus(handler).query("up"))
    assert message in caught.value.message
    assert caught.value.message.startswith("Prometheus")


# --- the report ----------------------------------------------------------------------------------


class FakePrometheus:
    """Answers the catalogue's queries: accepted sends by channel, every other chart empty, and
    two targets; records every query asked. ``down`` makes it refuse like a dead server."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused")
        expr = request.url.params["query"]
        self.queries.append(expr)
        if request.url.path == "/api/v1/query":
            return success(
                "vector",
                [
                    {"metric": {"job": "sms-sender", "instance": "10.0.0.2:9100"}, "value": [NOW, "0"]},
                    {"metric": {"job": "api-gateway", "instance": "10.0.0.1:6011"}, "value": [NOW, "1"]},
                ],
            )
        if "notify_notifications_accepted_total" in expr:
            start, end = float(request.url.params["start"]), float(request.url.params["end"])
            return success(
                "matrix",
                [
                    {
                        "metric": {"channel": "sms"},
                        "values": [[start, "2"], [end - 15, "3.25"], [end, "NaN"]],
                    },
                    {"metric": {"channel": "email"}, "values": [[end, "0.5"]]},
                ],
            )
        return success("matrix", [])


@pytest.fixture
def fake() -> FakePrometheus:
    return FakePrometheus()


def test_the_report_aligns_each_series_to_the_window_and_writes_its_latest_value(
    fake: FakePrometheus,
) -> None:
    found = run(report(prometheus(fake), now=NOW + 7))
    assert found["available"] is True
    accepted = next(c for c in found["charts"] if c["id"] == "accepted")
    count = WINDOW_SECONDS // STEP_SECONDS + 1
    assert accepted["times"][0] == NOW - WINDOW_SECONDS
    assert accepted["times"][-1] == NOW
    assert len(accepted["times"]) == count
    email, sms = accepted["series"]
    assert (email["name"], sms["name"]) == ("email", "sms")
    assert sms["values"][0] == 2.0
    assert sms["values"][-2:] == [3.25, None]
    assert sms["latest"] == 3.25
    assert sms["latest_text"] == "3.25 per second"
    assert email["values"] == [None] * (count - 1) + [0.5]
    assert found["targets"] == [
        {"job": "api-gateway", "instance": "10.0.0.1:6011", "up": True},
        {"job": "sms-sender", "instance": "10.0.0.2:9100", "up": False},
    ]


def test_the_report_asks_only_the_catalogues_fixed_queries(fake: FakePrometheus) -> None:
    run(report(prometheus(fake), now=NOW))
    expected = [q.expr for chart in CHARTS for q in chart.queries] + [UP_QUERY]
    assert sorted(fake.queries) == sorted(expected)


def test_the_catalogue_reads_the_platforms_series() -> None:
    text = " ".join(q.expr for chart in CHARTS for q in chart.queries)
    for name in (
        "notify_notifications_accepted_total",
        "notify_created_to_sent_seconds_bucket",
        'le=~"10|10.0"',
        "notify_provider_calls_total",
        "notify_consumer_lag",
        'notify_http_requests_total{status=~"5.."}',
        "notify_callbacks_total",
    ):
        assert name in text


def test_when_prometheus_is_down_the_report_says_so_with_every_chart_empty(fake: FakePrometheus) -> None:
    fake.down = True
    found = run(report(prometheus(fake), now=NOW))
    assert found["available"] is False
    assert found["message"] == "Prometheus at http://prom:9090 is not answering"
    assert [c["id"] for c in found["charts"]] == [c.id for c in CHARTS]
    assert all(c["series"] == [] and c["times"] == [] for c in found["charts"])
    assert found["targets"] == []


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1234.5, "per_second", "1,234.50 per second"),
        (0.4567, "seconds", "0.46 seconds"),
        (0.9876, "ratio", "98.8%"),
        (12345.0, "records", "12,345 records"),
        (None, "ratio", "No data"),
    ],
)
def test_values_are_written_for_people(value: float | None, unit: str, text: str) -> None:
    assert describe(value, unit) == text


def test_a_series_name_comes_from_its_labels_and_a_missing_label_reads_other() -> None:
    assert legend("{provider} {outcome}", {"provider": "mmg", "outcome": "accepted"}) == "mmg accepted"
    assert legend("{provider} {outcome}", {"provider": "mmg"}) == "mmg other"
    assert legend("p99", {}) == "p99"


# --- the page ------------------------------------------------------------------------------------


def gateway(request: httpx.Request) -> httpx.Response:
    if request.url.path.startswith("/admin/console/users/"):
        found = USERS.get(request.url.path.rsplit("/", 1)[1])
        return ok(found) if found else refused(404, "Not found")
    return refused(404, "Not found")


@contextmanager
def console(fake: FakePrometheus) -> Iterator[TestClient]:
    settings = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET))
    app = create_app(
        settings,
        httpx.AsyncClient(transport=httpx.MockTransport(gateway), base_url="http://gw"),
        httpx.AsyncClient(transport=httpx.MockTransport(fake), base_url="http://prom:9090"),
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def as_user(client: TestClient, user_id: str) -> TestClient:
    client.cookies.clear()
    for name, value in signed_in(user_id).items():
        client.cookies.set(name, value)
    return client


def test_a_platform_admin_sees_the_charts_tables_and_services(fake: FakePrometheus) -> None:
    with console(fake) as client:
        page = as_user(client, "platform-admin").get("/platform-admin/health")
        data = client.get("/platform-admin/health/data")
    assert page.status_code == 200
    for chart in CHARTS:
        assert f'id="chart-{chart.id}"' in page.text
        assert f"{chart.title}: latest values" in page.text
    assert "3.25 per second" in page.text
    assert "sms-sender" in page.text
    assert "Down" in page.text
    assert "/public/health.js" in page.text
    assert "Prometheus is not answering" not in page.text
    assert data.status_code == 200
    assert data.headers["content-type"] == "application/json"
    assert data.json()["available"] is True


def test_people_who_are_not_platform_admins_are_refused_the_page_and_its_data(fake: FakePrometheus) -> None:
    with console(fake) as client:
        as_user(client, "manager")
        assert client.get("/platform-admin/health").status_code == 403
        assert client.get("/platform-admin/health/data").status_code == 403
    assert fake.queries == []


def test_with_prometheus_down_the_page_still_renders_and_says_so(fake: FakePrometheus) -> None:
    fake.down = True
    with console(fake) as client:
        page = as_user(client, "platform-admin").get("/platform-admin/health")
        data = client.get("/platform-admin/health/data")
    assert page.status_code == 200
    assert "Prometheus is not answering, so there is nothing to show" in page.text
    assert "http://prom:9090 is not answering" in page.text
    assert data.status_code == 200
    assert data.json()["available"] is False


def test_a_query_in_the_address_is_ignored(fake: FakePrometheus) -> None:
    with console(fake) as client:
        as_user(client, "platform-admin").get(
            "/platform-admin/health/data", params={"query": "secret_series"}
        )
    assert "secret_series" not in fake.queries
    assert len(fake.queries) == sum(len(c.queries) for c in CHARTS) + 1
