"""The admin console as a real process beside the platform (``platform`` of tests/e2e/conftest.py),
a service and a console account of this run's own, and a headless Debian Chromium driven by
Playwright (never a downloaded browser) with axe-core checking every page the journeys visit."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from notify_common.recipients import normalise_phone_number
from tests.e2e.conftest import ADMIN_API_TOKEN, Platform, free_ports
from tests.support import env
from tests.support.processes import ServiceProcess

CHROMIUM = "/usr/bin/chromium"
AXE = env.ROOT / "services" / "admin-console" / "node_modules" / "axe-core" / "axe.min.js"
IMAGES = env.ROOT / "docs" / "images"


@dataclass
class Console:
    url: str
    api: httpx.Client  # the admin-api, for setting up and for reading what the platform sent
    public: httpx.Client  # the public API (the api-gateway), as a service's own client calls it
    service_id: str
    email: str
    password: str
    mobile: str
    inbound_number: str
    receipts_url: str
    simulator_url: str

    def latest_code(self, after: float, timeout: float = 30.0) -> str:
        """The sign-in code texted to the person since ``after``, read where a person running the
        platform reads it: the messages the provider simulator was handed (its ``/api/messages``)."""
        to = normalise_phone_number(self.mobile)  # senders hand providers the normalised form
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            handed = httpx.get(f"{self.simulator_url}/api/messages", timeout=10).json()["messages"]
            fresh = [
                m
                for m in handed
                if m["recipient"].lstrip("+") == to and _epoch(m["received_at"]) >= after - 1
            ]
            if fresh:
                text = max(fresh, key=lambda m: _epoch(m["received_at"]))["content"]
                found_code = re.search(r"\b(\d{5})\b", text)
                assert found_code is not None, "no code in the text the simulator received"
                return found_code.group(1)
            time.sleep(0.3)
        raise TimeoutError("no sign-in code reached the provider simulator")


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="package")
def console(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    if not AXE.exists() or not (env.ROOT / "services/admin-console/src/notify_admin_console/static").exists():
        raise RuntimeError(
            "the console's assets are missing: run deploy/local/install.sh (npm ci and the build)"
        )
    api = httpx.Client(
        base_url=platform.admin_api_url, headers={"Authorization": f"Bearer {ADMIN_API_TOKEN}"}, timeout=30
    )
    stamp = secrets.token_hex(4)
    service = api.post(
        "/admin/services",
        json={"name": f"Console journeys {stamp}", "email_from": f"console.{stamp}", "live": True},
    ).json()["data"]
    inbound_number = f"4477009{secrets.randbelow(10**5):05d}"
    api.post(
        "/admin/inbound-numbers",
        json={"number": inbound_number, "provider": "mmg", "service_id": service["id"]},
    )
    email, password, mobile = f"ada.{stamp}@example.gov.uk", f"correct horse {stamp}", "07700900456"
    user = api.post(
        "/admin/console/users",
        json={"name": "Ada Lovelace", "email_address": email, "password": password, "mobile_number": mobile},
    ).json()["data"]
    permissions = ["view_activity", "send_messages", "manage_templates", "manage_service", "manage_api_keys"]
    api.put(f"/admin/console/services/{service['id']}/users/{user['id']}", json={"permissions": permissions})

    port = free_ports(1)[0]
    process = ServiceProcess(
        "admin-console",
        port,
        env.service_env(
            NOTIFY_API_BASE_URL=platform.api_url,
            NOTIFY_ADMIN_API_URL=platform.admin_api_url,
            NOTIFY_ADMIN_API_TOKEN=ADMIN_API_TOKEN,
            NOTIFY_CONSOLE_URL=f"http://127.0.0.1:{port}",
            # Browsers offer security keys only to a domain: test_security_keys.py uses localhost.
            NOTIFY_CONSOLE_WEBAUTHN_ORIGIN=f"http://localhost:{port}",
        ),
        Path(tmp_path_factory.mktemp("console-logs")),
    )
    process.start()
    try:
        process.wait_ready()
        yield Console(
            url=process.url,
            api=api,
            public=httpx.Client(base_url=platform.api_url, timeout=30),
            service_id=service["id"],
            email=email,
            password=password,
            mobile=mobile,
            inbound_number=inbound_number,
            receipts_url=platform.services["receipts"].url,
            simulator_url=platform.simulator_url,
        )
    finally:
        process.kill()
        api.close()


@pytest.fixture(scope="package")
def browser(console: Console) -> Iterator[Browser]:
    # After the platform: Playwright's sync API keeps an event loop running in this thread.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def page(browser: Browser, console: Console) -> Iterator[Page]:
    # axe-core is injected as a script, which the console's Content-Security-Policy would refuse.
    context = browser.new_context(
        base_url=console.url, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    opened = context.new_page()
    yield opened
    context.close()


def axe_check(page: Page) -> None:
    """No serious or critical accessibility violations on the page as it is now (WCAG 2.2 AA rules)."""
    page.add_script_tag(path=str(AXE))
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


def screenshot(page: Page, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / f"console-{name}.png"), full_page=True)
