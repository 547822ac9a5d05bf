"""The public performance page in a real browser: an analytics worker of this module's own counts
events the test writes to topics of its own, a console process reads the worker's views, and
anyone (no sign-in) sees messages sent per day by channel and the share sent within 10 seconds
drawn with uPlot under the console's Content-Security-Policy, with the figures in tables, and
axe-core clean."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics
from tests.e2e.conftest import ADMIN_API_TOKEN, free_ports
from tests.e2e.console.conftest import AXE, IMAGES
from tests.integration.analytics.conftest import Worker, isolated, lifecycle, publish, wait_for_count
from tests.support import env
from tests.support.processes import ServiceProcess

T = TypeVar("T")


def run_apart(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on an event loop of its own thread: the console tests' Playwright (sync API)
    keeps an event loop running in this one, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main).result()


@pytest.fixture(scope="module")
def performance_console(settings: CommonSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("performance-logs")
    mine = run_apart(isolated(settings))
    worker = Worker(mine, logs / "analytics.log").start()
    port = free_ports(1)[0]
    console = ServiceProcess(
        "admin-console",
        port,
        env.service_env(
            NOTIFY_API_BASE_URL="http://127.0.0.1:9",  # the public page never asks the admin API
            NOTIFY_ADMIN_API_TOKEN=ADMIN_API_TOKEN,
            NOTIFY_CONSOLE_URL=f"http://127.0.0.1:{port}",
        ),
        logs,
    )
    try:
        run_apart(worker.wait_ready())
        console.env["NOTIFY_ANALYTICS_URL"] = f"http://127.0.0.1:{worker.port}"
        now = datetime.now(UTC)
        early = max(now - timedelta(minutes=5), now.replace(hour=0, minute=0, second=1, microsecond=0))
        items = [
            *lifecycle("p1", "service-a", early),
            *lifecycle("p2", "service-a", early, channel="email"),
            *lifecycle("p3", "service-b", early, channel="email", send_after=30),
        ]
        run_apart(publish(mine, items))
        run_apart(wait_for_count(mine, "day", len(items)))
        console.start()
        console.wait_ready()
        yield console.url
    finally:
        console.kill()
        worker.stop()
        run_apart(_delete_topics(mine))


def _axe_check_under_csp(page: Page) -> None:
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


def test_anyone_sees_messages_sent_per_day_and_the_share_within_10_seconds_drawn_and_tabled(
    performance_console: str, browser: Browser
) -> None:
    # The console tests' browser (one Playwright per process): a context of its own, signed in as no one.
    problems: list[str] = []
    context = browser.new_context(base_url=performance_console, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto("/performance")
        expect(page.get_by_role("heading", level=1)).to_have_text("Performance data")
        for chart in ("sent", "within"):
            drawn = page.locator(f"#chart-{chart}")
            expect(drawn).to_have_attribute("data-drawn", "true")
            expect(drawn.locator("canvas")).to_have_count(1)
        expect(page.locator("#total-email")).to_have_text("2")
        expect(page.locator("#total-sms")).to_have_text("1")
        expect(page.locator("#live-services")).to_have_text("2")
        today = page.locator("#table-within tbody tr").last
        expect(today).to_contain_text("66.67%")  # two of the three sent within 10 seconds
        expect(page.locator("#performance-status")).to_be_empty()
        assert problems == []
        _axe_check_under_csp(page)
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "console-performance.png"), full_page=True)
    finally:
        context.close()
