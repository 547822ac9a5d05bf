"""A service's branding page in the console against a fake admin API (httpx's MockTransport):
managers see the preview, the same HTML the email-sender sends, framed with a policy that allows its
inline styles and the console's own images only, and choose the branding from the pool; logos are
passed through from the admin API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.unit.admin_console.fake_gateway import console_client, ok, refused
from tests.unit.admin_console.test_permissions import CSRF, SERVICE, person, signed_in

BASE = f"/services/{SERVICE}/settings/branding"
EMAIL = {
    "id": "e1e1e1e1-0000-4000-8000-000000000001",
    "name": "Department of Examples",
    "brand_type": "org_banner",
    "colour": "#005ea5",
    "text": "Examples",
    "logo": "email/5b0c.png",
}
LETTER = {"id": "1e771e77-0000-4000-8000-000000000001", "name": "Examples letters", "logo": "letter/9f.svg"}
USERS = {
    "manager": person("manager", ["manage_service"]),
    "admin": {**person("admin", []), "platform_admin": True},
}


class FakeAdmin:
    def __init__(self) -> None:
        self.changes: list[Any] = []
        self.created: list[Any] = []
        self.current: dict[str, Any] = {"email_branding": "pool", "email": EMAIL, "letter_branding": LETTER}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path.startswith("/admin/console/users/"):
            found = USERS.get(path.rsplit("/", 1)[1])
            return ok(found) if found else refused(404, "Not found")
        if path == f"/admin/services/{SERVICE}":
            return ok({"id": SERVICE, "name": "Parking permits", "live": True, "data_retention": {}})
        if path == f"/admin/services/{SERVICE}/branding" and method == "PATCH":
            self.changes.append(json.loads(request.content))
            return ok(self.current)
        if path == f"/admin/services/{SERVICE}/branding":
            return ok(self.current)
        if path == "/admin/email-branding" and method == "POST":
            self.created.append(json.loads(request.content))
            return ok(EMAIL, 201)
        if path == "/admin/email-branding":
            return ok([EMAIL])
        if path == "/admin/letter-branding":
            return ok([LETTER])
        if path == "/admin/branding-logos/email/5b0c.png":
            return httpx.Response(200, content=b"\x89PNG logo", headers={"content-type": "image/png"})
        return refused(404, "Not found")


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def console(fake: FakeAdmin) -> Iterator[TestClient]:
    with console_client(fake) as client:
        yield client


def as_person(client: TestClient, user_id: str) -> TestClient:
    client.cookies.clear()
    for name, value in signed_in(user_id).items():
        client.cookies.set(name, value)
    return client


def test_a_manager_sees_the_branding_its_preview_and_the_pool_to_choose_from(console: TestClient) -> None:
    page = as_person(console, "manager").get(BASE)

    assert page.status_code == 200
    assert "Your emails are sent with ‘Department of Examples’" in page.text
    assert f'src="{BASE}/preview"' in page.text
    assert 'src="/branding-logos/letter/9f.svg"' in page.text
    assert f'value="{EMAIL["id"]}" checked' in page.text
    assert f'value="{LETTER["id"]}" checked' in page.text
    assert 'value="govuk"' in page.text
    assert 'href="/platform-admin/branding"' not in page.text  # the pool is the platform admins'


def test_the_preview_is_the_branded_email_allowed_inline_styles_and_the_consoles_images_only(
    console: TestClient,
) -> None:
    preview = as_person(console, "manager").get(f"{BASE}/preview")

    assert preview.status_code == 200
    policy = preview.headers["content-security-policy"]
    assert policy == "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    assert 'bgcolor="#005ea5"' in preview.text
    assert '<img src="/branding-logos/email/5b0c.png"' in preview.text
    assert "This is how your emails look with this branding." in preview.text


def test_a_manager_chooses_the_email_and_letter_branding(console: TestClient, fake: FakeAdmin) -> None:
    client = as_person(console, "manager")

    chosen = client.post(BASE, data={"csrf_token": CSRF, "email_branding": "none", "letter_branding": "none"})

    assert chosen.status_code == 303
    assert fake.changes == [{"email_branding": "none", "letter_branding": None}]


def test_a_logo_is_passed_through_from_the_admin_api_with_nothing_allowed_to_run(console: TestClient) -> None:
    logo = as_person(console, "manager").get("/branding-logos/email/5b0c.png")

    assert logo.status_code == 200
    assert logo.content == b"\x89PNG logo"
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["content-security-policy"] == "default-src 'none'"


def test_a_colour_that_is_not_a_hex_code_is_refused_on_the_page_before_anything_is_stored(
    console: TestClient, fake: FakeAdmin
) -> None:
    form = {
        "csrf_token": CSRF,
        "name": "Examples",
        "brand_type": "org_banner",
        "colour": "blue",
        "text": "Hi",
    }

    refused_page = as_person(console, "admin").post("/platform-admin/branding/email", data=form)

    assert refused_page.status_code == 400
    assert "Enter the colour as a hex colour code, like #1d70b8" in refused_page.text
    assert fake.created == []
