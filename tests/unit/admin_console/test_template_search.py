"""The templates list's search by name and filters by type: the pure selection (``search_and_filter``)
and the page against a fake admin API. A search looks inside the folders below the one shown, as
Notify's does, and shows each result's folders; it is a GET form, so it works without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console.app import create_app
from notify_admin_console.pages_folders import search_and_filter
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.test_permissions import SECRET, SERVICE, person, signed_in

LISTING = {
    "folders": [
        {"id": "f-letters", "name": "Letters", "parent_id": None},
        {"id": "f-reminders", "name": "Reminders", "parent_id": None},
        {"id": "f-late", "name": "Late reminders", "parent_id": "f-reminders"},
    ],
    "placements": {"t-remind-sms": "f-reminders", "t-late-email": "f-late", "t-letter": "f-letters"},
}
TEMPLATES = [
    {"id": "t-welcome-sms", "name": "Welcome", "template_type": "sms"},
    {"id": "t-welcome-email", "name": "Welcome email", "template_type": "email"},
    {"id": "t-remind-sms", "name": "Appointment reminder", "template_type": "sms"},
    {"id": "t-late-email", "name": "Late REMINDER", "template_type": "email"},
    {"id": "t-letter", "name": "Permit letter", "template_type": "letter"},
    *[{"id": f"t-extra-{i}", "name": f"Notice {i}", "template_type": "sms"} for i in range(4)],
]


def names(shown: dict[str, list[dict[str, Any]]]) -> tuple[list[str], list[str]]:
    return [f["name"] for f in shown["folders"]], [t["name"] for t in shown["templates"]]


def test_without_a_search_or_type_the_list_is_what_the_folder_holds() -> None:
    shown = search_and_filter(LISTING, TEMPLATES, None)
    assert names(shown) == (
        ["Letters", "Reminders"],
        ["Welcome", "Welcome email", "Notice 0", "Notice 1", "Notice 2", "Notice 3"],
    )


def test_a_search_matches_names_in_any_case_at_any_depth_with_their_folders() -> None:
    shown = search_and_filter(LISTING, TEMPLATES, None, "reminder")
    assert names(shown) == (["Reminders", "Late reminders"], ["Appointment reminder", "Late REMINDER"])
    assert [[a["name"] for a in t["ancestors"]] for t in shown["templates"]] == [
        ["Reminders"],
        ["Reminders", "Late reminders"],
    ]
    assert [[a["name"] for a in f["ancestors"]] for f in shown["folders"]] == [[], ["Reminders"]]


def test_a_search_inside_a_folder_stays_inside_it_and_names_folders_from_there() -> None:
    shown = search_and_filter(LISTING, TEMPLATES, "f-reminders", "late")
    assert names(shown) == (["Late reminders"], ["Late REMINDER"])
    assert shown["folders"][0]["ancestors"] == []
    assert [a["name"] for a in shown["templates"][0]["ancestors"]] == ["Late reminders"]
    assert names(search_and_filter(LISTING, TEMPLATES, "f-letters", "welcome")) == ([], [])


def test_a_type_filter_keeps_that_types_templates_and_the_folders_holding_any() -> None:
    assert names(search_and_filter(LISTING, TEMPLATES, None, template_type="email")) == (
        ["Reminders"],
        ["Welcome email"],
    )
    assert names(search_and_filter(LISTING, TEMPLATES, None, template_type="letter")) == (["Letters"], [])
    assert names(search_and_filter(LISTING, TEMPLATES, None, "welcome", "sms")) == ([], ["Welcome"])


def fake_api(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/admin/console/users/member":
        return httpx.Response(200, json={"data": person("member", [])})
    if path == f"/admin/services/{SERVICE}":
        return httpx.Response(200, json={"data": {"id": SERVICE, "name": "Test", "live": True}})
    if path.endswith("/template-folders"):
        return httpx.Response(200, json={"data": LISTING})
    if path.endswith("/templates"):
        return httpx.Response(200, json={"data": TEMPLATES})
    return httpx.Response(404, json={"errors": [{"error": "AdminError", "message": "Not found"}]})


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET))
    app = create_app(
        settings, httpx.AsyncClient(transport=httpx.MockTransport(fake_api), base_url="http://gw")
    )
    with TestClient(app, follow_redirects=False) as test_client:
        for name, value in signed_in("member").items():
            test_client.cookies.set(name, value)
        yield test_client


def links(html: str) -> list[str]:
    return re.findall(r'class="govuk-link govuk-!-font-weight-bold" href="[^"]+">([^<]+)</a></td>', html)


def test_the_page_has_a_get_search_form_and_type_filter_links(client: TestClient) -> None:
    html = client.get(f"/services/{SERVICE}/templates").text
    assert f'<form method="get" action="/services/{SERVICE}/templates" role="search"' in html
    assert '<label class="govuk-label govuk-label--s" for="search">Search by name</label>' in html
    for label, query in (("Email", "?type=email"), ("Text message", "?type=sms"), ("Letter", "?type=letter")):
        assert f'href="/services/{SERVICE}/templates{query}">{label}</a>' in html
    assert f'href="/services/{SERVICE}/templates" aria-current="page">All</a>' in html


def test_searching_lists_the_matches_below_and_keeps_the_type(client: TestClient) -> None:
    html = client.get(f"/services/{SERVICE}/templates", params={"search": "reminder", "type": "email"}).text
    assert links(html) == ["Reminders", "Late reminders", "Late REMINDER"]
    assert "3 results for ‘reminder’" in html
    assert '<input type="hidden" name="type" value="email">' in html
    assert f'href="/services/{SERVICE}/templates?type=sms&amp;search=reminder">Text message</a>' in html
    assert "Late reminders / </span>" in html


def test_a_search_inside_a_folder_searches_that_folder(client: TestClient) -> None:
    html = client.get(f"/services/{SERVICE}/templates/folders/f-reminders", params={"search": "late"}).text
    assert f'action="/services/{SERVICE}/templates/folders/f-reminders" role="search"' in html
    assert links(html) == ["Late reminders", "Late REMINDER"]
    assert "in Reminders" in html


def test_nothing_found_says_so(client: TestClient) -> None:
    assert (
        "No templates or folders found."
        in client.get(f"/services/{SERVICE}/templates", params={"search": "zzz"}).text
    )
    assert (
        "There are no letter templates in this folder."
        in client.get(f"/services/{SERVICE}/templates/folders/f-reminders", params={"type": "letter"}).text
    )


def test_an_unknown_type_shows_everything(client: TestClient) -> None:
    html = client.get(f"/services/{SERVICE}/templates", params={"type": "fax"}).text
    assert "Welcome email" in html
    assert "Notice 3" in html
