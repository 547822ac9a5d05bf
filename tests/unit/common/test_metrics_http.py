"""``HttpMetrics``: ``/metrics`` served before the app, and every request counted and timed by its
route template, never by its raw path, so an id in a URL never becomes a label value."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from notify_api_gateway.fastpath import HotRoutes
from notify_common.metrics import HTTP_DURATION, HTTP_REQUESTS
from notify_common.metrics_http import MULTIPROCESS_DIR, HttpMetrics


def count(route: str, method: str, status: str) -> float:
    labels = {"route": route, "method": method, "status": status}
    return REGISTRY.get_sample_value("notify_http_requests_total", labels) or 0.0


def timed(route: str, method: str) -> float:
    labels = {"route": route, "method": method}
    return REGISTRY.get_sample_value("notify_http_request_duration_seconds_count", labels) or 0.0


def app() -> HttpMetrics:
    inner = FastAPI()

    @inner.get("/v2/notifications/{notification_id}")
    async def one(notification_id: str) -> JSONResponse:
        return JSONResponse({"id": notification_id})

    @inner.get("/broken")
    async def broken() -> JSONResponse:
        raise RuntimeError("boom")

    return HttpMetrics(inner)


async def call(asgi: object, method: str, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path)


async def test_a_request_is_counted_by_its_route_template_not_its_path() -> None:
    route = "/v2/notifications/{notification_id}"
    before, before_timed = count(route, "GET", "200"), timed(route, "GET")
    nid = str(uuid.uuid4())
    assert (await call(app(), "GET", f"/v2/notifications/{nid}")).status_code == 200
    assert count(route, "GET", "200") == before + 1
    assert timed(route, "GET") == before_timed + 1


async def test_no_label_value_holds_the_id_of_a_request() -> None:
    nid = str(uuid.uuid4())
    await call(app(), "GET", f"/v2/notifications/{nid}")
    await call(app(), "GET", f"/unknown/{nid}")
    scraped = (await call(app(), "GET", "/metrics")).text
    values = [
        value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        for value in sample.labels.values()
    ]
    assert values  # the scrape has labelled series to look through
    assert not [v for v in values if nid in v]
    assert nid not in scraped


async def test_a_path_no_route_matches_is_counted_as_other() -> None:
    before = count("other", "GET", "404")
    assert (await call(app(), "GET", f"/nowhere/{uuid.uuid4()}")).status_code == 404
    assert count("other", "GET", "404") == before + 1


async def test_a_method_a_client_invents_is_counted_as_other() -> None:
    before = count("other", "other", "404")
    await call(app(), f"X{uuid.uuid4().hex[:8].upper()}", "/nowhere")
    assert count("other", "other", "404") == before + 1


async def test_a_route_that_raises_is_counted_as_a_500() -> None:
    before = count("/broken", "GET", "500")
    assert (await call(app(), "GET", "/broken")).status_code == 500
    assert count("/broken", "GET", "500") == before + 1


async def test_metrics_are_served_in_prometheus_text_format() -> None:
    response = await call(app(), "GET", "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"notify_http_requests", "notify_http_request_duration_seconds"} <= names


async def test_the_api_gateways_hot_send_routes_are_counted_by_their_template() -> None:
    inner, router = FastAPI(), APIRouter()  # the route included from a router, as in the api-gateway

    @router.post("/v2/notifications/sms", status_code=201)
    async def post_sms() -> JSONResponse:  # never reached: HotRoutes answers this path itself
        return JSONResponse({}, status_code=500)

    inner.include_router(router)

    async def hot_sms(request: Request, raw: bytes) -> Response:
        return JSONResponse({"sent": True}, status_code=201)

    hot = HotRoutes(inner)
    hot.routes = {"/v2/notifications/sms": hot_sms}
    before = count("/v2/notifications/sms", "POST", "201")
    assert (await call(HttpMetrics(hot), "POST", "/v2/notifications/sms")).status_code == 201
    assert count("/v2/notifications/sms", "POST", "201") == before + 1


def test_with_several_worker_processes_metrics_adds_up_every_workers_counts(tmp_path: Path) -> None:
    count_one = (
        "from notify_common.metrics import HTTP_REQUESTS; "
        "HTTP_REQUESTS.labels('/v2/notifications/sms', 'POST', '201').inc()"
    )
    scrape = "import sys; from notify_common.metrics_http import exposition; sys.stdout.write(exposition().decode())"
    workers = {**os.environ, MULTIPROCESS_DIR: str(tmp_path)}
    for _ in range(2):  # two workers, each counting one request
        subprocess.run([sys.executable, "-c", count_one], env=workers, check=True, timeout=120)
    scraped = subprocess.run(
        [sys.executable, "-c", scrape], env=workers, check=True, timeout=120, capture_output=True, text=True
    ).stdout
    [family] = [f for f in text_string_to_metric_families(scraped) if f.name == "notify_http_requests"]
    assert [(s.labels["route"], s.value) for s in family.samples] == [("/v2/notifications/sms", 2.0)]


async def test_a_requests_series_are_looked_up_by_their_labels_once_not_on_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[tuple[str, ...]] = []
    for metric in (HTTP_REQUESTS, HTTP_DURATION):
        labels = metric.labels

        def counting_labels(*values: str, labels: Any = labels) -> Any:
            looked_up.append(values)
            return labels(*values)

        monkeypatch.setattr(metric, "labels", counting_labels)
    counted = app()
    before = count("/v2/notifications/{notification_id}", "GET", "200")
    for _ in range(3):
        assert (await call(counted, "GET", f"/v2/notifications/{uuid.uuid4()}")).status_code == 200
    assert count("/v2/notifications/{notification_id}", "GET", "200") == before + 3
    assert sorted(looked_up) == [
        ("/v2/notifications/{notification_id}", "GET"),
        ("/v2/notifications/{notification_id}", "GET", "200"),
    ]
