"""The platform health page in a real browser: a real Prometheus (Debian's /usr/bin/prometheus, on
a free port, scraping every second) reads a small exporter that serves the platform's series as
the services name them, with traffic flowing, and a target where nothing listens; a console
process of this module's own reads that Prometheus. A platform admin sees every chart drawn with
data, the latest values written out under each and the services' states, with the console's
Content-Security-Policy enforced and axe-core clean; anyone else is refused."""

from __future__ import annotations

import itertools
import math
import re
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from notify_admin_console.platform_health import CHARTS
from tests.e2e.conftest import ADMIN_API_TOKEN, Platform, free_ports
from tests.e2e.console.conftest import AXE, IMAGES, Console
from tests.support import env
from tests.support.processes import ServiceProcess

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
CREATED_TO_SENT_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


class Exporter:
    """The platform's series (names and labels as the services export them), moving as if sends
    were flowing, until ``stop``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.accepted = Counter(
            "notify_notifications_accepted", "", ["channel", "key_type", "lane"], registry=r
        )
        self.created_to_sent = Histogram(
            "notify_created_to_sent_seconds", "", ["channel"], buckets=CREATED_TO_SENT_BUCKETS, registry=r
        )
        self.provider_calls = Counter(
            "notify_provider_calls", "", ["provider", "channel", "outcome"], registry=r
        )
        self.lag = Gauge("notify_consumer_lag", "", ["group", "topic", "partition"], registry=r)
        self.requests = Counter("notify_http_requests", "", ["route", "method", "status"], registry=r)
        self.callbacks = Counter("notify_callbacks", "", ["callback_type", "outcome"], registry=r)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._flow, daemon=True)

    def start(self, port: int) -> None:
        self._server, _ = start_http_server(port, addr="127.0.0.1", registry=self.registry)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self._server.shutdown()

    def _flow(self) -> None:
        durations = itertools.cycle([0.3, 0.8, 1.5, 4.0, 12.0])
        for tick in itertools.count():
            if self._stopped.wait(0.1):
                return
            self.accepted.labels("sms", "normal", "live").inc(3)
            self.accepted.labels("email", "normal", "bulk").inc(1)
            self.created_to_sent.labels("sms").observe(next(durations))
            self.provider_calls.labels("mmg", "sms", "accepted").inc(2)
            self.provider_calls.labels("firetext", "sms", "accepted").inc(1)
            self.provider_calls.labels("ses", "email", "accepted").inc(1)
            if tick % 10 == 0:
                self.provider_calls.labels("mmg", "sms", "timeout").inc()
            self.lag.labels("sms-sender", "notification.sms", "0").set(tick % 50)
            route = "/v2/notifications/sms"
            self.requests.labels(route, "POST", "201").inc(4)
            if tick % 20 == 0:
                self.requests.labels(route, "POST", "503").inc()
            self.callbacks.labels("delivery_status", "delivered").inc(2)
            if tick % 5 == 0:
                self.callbacks.labels("delivery_status", "retrying").inc()


def history(end: float, instance: str, seconds: int = 3600, step: int = 15) -> str:
    """The hour before ``end`` of the same series, in OpenMetrics text for ``promtool tsdb
    create-blocks-from openmetrics``: the charts then span the page's whole window, as on a platform
    that has been running, and the screenshot shows it. Rates rise and fall with the minute."""
    target = f'job="api-gateway",instance="{instance}"'
    times = [end - seconds + i * step for i in range(seconds // step)]
    wave = [1 + 0.5 * math.sin(i / 20) for i in range(len(times))]
    lines: list[str] = []

    def counter(family: str, labels: str, per_second: float, phase: float = 0.0) -> None:
        total = 0.0
        for i, at in enumerate(times):
            total += per_second * step * (wave[i] if phase == 0 else 1 + 0.5 * math.cos(i / 20 + phase))
            lines.append(f"{family}_total{{{labels},{target}}} {total:.1f} {at:.0f}")

    lines.append("# TYPE notify_notifications_accepted counter")
    counter("notify_notifications_accepted", 'channel="email",key_type="normal",lane="bulk"', 8, 1.0)
    counter("notify_notifications_accepted", 'channel="sms",key_type="normal",lane="bulk"', 20)
    lines.append("# TYPE notify_provider_calls counter")
    counter("notify_provider_calls", 'provider="firetext",channel="sms",outcome="accepted"', 7, 2.0)
    counter("notify_provider_calls", 'provider="mmg",channel="sms",outcome="accepted"', 13)
    counter("notify_provider_calls", 'provider="mmg",channel="sms",outcome="timeout"', 0.4, 0.5)
    counter("notify_provider_calls", 'provider="ses",channel="email",outcome="accepted"', 8, 1.0)
    lines.append("# TYPE notify_http_requests counter")
    counter("notify_http_requests", 'route="/v2/notifications/sms",method="POST",status="201"', 28)
    counter("notify_http_requests", 'route="/v2/notifications/sms",method="POST",status="503"', 0.3, 3.0)
    lines.append("# TYPE notify_callbacks counter")
    counter("notify_callbacks", 'callback_type="delivery_status",outcome="delivered"', 18)
    counter("notify_callbacks", 'callback_type="delivery_status",outcome="retrying"', 0.8, 1.5)
    lines.append("# TYPE notify_consumer_lag gauge")
    for i, at in enumerate(times):
        lag = 40 * wave[i] + (300 if 100 <= i < 110 else 0)
        lines.append(
            f'notify_consumer_lag{{group="sms-sender",topic="notification.sms",partition="0",{target}}}'
            f" {lag:.0f} {at:.0f}"
        )
    lines.append("# TYPE notify_created_to_sent_seconds histogram")
    shares = (0.05, 0.25, 0.55, 0.8, 0.93, 0.97, 0.985, 0.995, 1, 1, 1, 1)
    slow_shares = (0.05, 0.25, 0.55, 0.8, 0.88, 0.9, 0.91, 0.99, 1, 1, 1, 1)  # 9% over 10 s
    buckets = [0.0] * len(shares)
    count = total = 0.0
    labels = f'channel="sms",{target}'
    for i, at in enumerate(times):
        sent = 20 * step * wave[i]
        now_shares = slow_shares if 100 <= i < 110 else shares  # the same slow spell as the lag's
        count, total = count + sent, total + sent * 1.2
        for j, (bound, share) in enumerate(zip(CREATED_TO_SENT_BUCKETS, now_shares, strict=True)):
            buckets[j] += sent * share
            lines.append(
                f'notify_created_to_sent_seconds_bucket{{{labels},le="{float(bound)}"}} '
                f"{buckets[j]:.1f} {at:.0f}"
            )
        lines.append(f'notify_created_to_sent_seconds_bucket{{{labels},le="+Inf"}} {count:.1f} {at:.0f}')
        lines.append(f"notify_created_to_sent_seconds_count{{{labels}}} {count:.1f} {at:.0f}")
        lines.append(f"notify_created_to_sent_seconds_sum{{{labels}}} {total:.1f} {at:.0f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@dataclass
class Account:
    email: str
    password: str
    totp: pyotp.TOTP


def _account(console: Console, *, platform_admin: bool) -> Account:
    stamp = secrets.token_hex(4)
    email, password = f"grace.{stamp}@example.gov.uk", f"long password {stamp}"
    user = console.api.post(
        "/admin/console/users",
        json={
            "name": f"Grace {stamp}",
            "email_address": email,
            "password": password,
            "mobile_number": "07700900321",
            "platform_admin": platform_admin,
        },
    ).json()["data"]
    secret = console.api.post(f"/admin/console/users/{user['id']}/totp").json()["data"]["secret"]
    totp = pyotp.TOTP(secret)
    console.api.post(f"/admin/console/users/{user['id']}/totp/confirm", json={"code": totp.now()})
    return Account(email, password, totp)


def _wait_for_data(prometheus_url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Until Prometheus has scraped both targets once: the backfilled hour already gives every
    chart its values at the page's last aligned step, so its first load shows everything."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {process.returncode}")
        try:  # Prometheus answers 503 until it has started
            answer = httpx.get(
                f"{prometheus_url}/api/v1/query",
                params={"query": "count(up) == 2"},
                timeout=5,
            )
            found = answer.json()["data"]["result"] if answer.status_code == 200 else []
        except httpx.HTTPError:
            found = []
        if found:
            return
        time.sleep(1)
    raise TimeoutError("Prometheus has no rate of accepted notifications yet")


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exporter_port, dead_port, prometheus_port = free_ports(3)
    exporter = Exporter()
    exporter.start(exporter_port)
    folder = tmp_path_factory.mktemp("prometheus")
    (folder / "history.om").write_text(history(time.time(), f"127.0.0.1:{exporter_port}"))
    subprocess.run(
        [
            PROMTOOL,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(folder / "history.om"),
            str(folder / "data"),
        ],
        check=True,
        capture_output=True,
    )
    config = folder / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        f"  - job_name: api-gateway\n    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
        f"  - job_name: sms-sender\n    static_configs: [{{targets: ['127.0.0.1:{dead_port}']}}]\n"
    )
    url = f"http://127.0.0.1:{prometheus_port}"
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_data(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        exporter.stop()


@contextmanager
def _console(platform: Platform, prometheus_url: str, logs: Path) -> Iterator[str]:
    """A console process of this module's own, reading the Prometheus at ``prometheus_url``."""
    port = free_ports(1)[0]
    process = ServiceProcess(
        "admin-console",
        port,
        env.service_env(
            NOTIFY_API_BASE_URL=platform.api_url,
            NOTIFY_ADMIN_API_URL=platform.admin_api_url,
            NOTIFY_ADMIN_API_TOKEN=ADMIN_API_TOKEN,
            NOTIFY_CONSOLE_URL=f"http://127.0.0.1:{port}",
            NOTIFY_PROMETHEUS_URL=prometheus_url,
        ),
        logs,
    )
    process.start()
    try:
        process.wait_ready()
        yield process.url
    finally:
        process.kill()


@pytest.fixture(scope="module")
def health_console(
    platform: Platform, prometheus_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with _console(platform, prometheus_url, tmp_path_factory.mktemp("health-console-logs")) as url:
        yield url


@contextmanager
def _signed_in(browser: Browser, url: str, account: Account) -> Iterator[Page]:
    # The console's Content-Security-Policy stays on: the charts must draw under it.
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(account.totp.now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose service")
    yield page
    context.close()


def _axe_check_under_csp(page: Page) -> None:
    """As ``axe_check``, with axe-core evaluated by the browser's debugging protocol, which the
    page's Content-Security-Policy does not govern (a script tag would be refused)."""
    page.evaluate(AXE.read_text() + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"""
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {bad}"


def test_a_platform_admin_sees_every_chart_drawn_with_its_latest_values(
    browser: Browser, console: Console, health_console: str
) -> None:
    account = _account(console, platform_admin=True)
    problems: list[str] = []
    with _signed_in(browser, health_console, account) as page:

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.get_by_role("link", name="Platform health").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Platform health")
        for chart in CHARTS:
            drawn = page.locator(f"#chart-{chart.id}")
            expect(drawn).to_have_attribute("data-drawn", "true")
            expect(drawn.locator("canvas")).to_have_count(1)
            cells = page.locator(f"#chart-{chart.id}-latest tbody td")
            expect(cells.first).not_to_have_text("No data")
            assert all(text.strip() for text in cells.all_inner_texts()), chart.id
        accepted = page.locator("#chart-accepted-latest tbody")
        expect(accepted.locator("tr")).to_have_count(2)
        expect(accepted).to_contain_text("sms")
        expect(accepted).to_contain_text("per second")
        expect(page.locator("#chart-provider-calls-latest")).to_contain_text("mmg timeout")
        expect(page.locator("#chart-sent-within-10s-latest")).to_contain_text("%")
        targets = page.locator("#health-targets tbody")
        expect(targets.locator("tr", has_text="api-gateway")).to_contain_text("Up")
        expect(targets.locator("tr", has_text="sms-sender")).to_contain_text("Down")
        expect(page.locator("#health-status")).to_be_empty()
        page.locator("#chart-accepted").focus()
        expect(page.locator("#chart-accepted")).to_be_focused()
        assert problems == []
        _axe_check_under_csp(page)
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "console-platform-health.png"), full_page=True)


def test_people_who_are_not_platform_admins_are_refused_the_health_page(
    browser: Browser, console: Console, health_console: str
) -> None:
    account = _account(console, platform_admin=False)
    with _signed_in(browser, health_console, account) as page:
        expect(page.get_by_role("link", name="Platform health")).to_have_count(0)
        for path in ("/platform-admin/health", "/platform-admin/health/data"):
            response = page.goto(path)
            assert response is not None
            assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("You’re not allowed to see this page")


def test_with_prometheus_unreachable_the_page_says_so_and_still_renders(
    browser: Browser, console: Console, platform: Platform, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_ports(1)[0]}"
    account = _account(console, platform_admin=True)
    with _console(platform, nowhere, tmp_path) as url, _signed_in(browser, url, account) as page:
        response = page.goto("/platform-admin/health")
        assert response is not None
        assert response.status == 200
        expect(page.locator("#health-status")).to_contain_text(
            f"Prometheus is not answering, so there is nothing to show: Prometheus at {nowhere} is not answering."
        )
        expect(page.locator("#chart-accepted-latest tbody")).to_have_text("No data")
        expect(page.locator("#health-targets tbody")).to_have_text("No services known to Prometheus")
        expect(page.locator("#health")).to_have_attribute("data-updated-at", re.compile(r"\d+"))
        expect(page.locator("#chart-accepted canvas")).to_have_count(0)
        _axe_check_under_csp(page)
