"""The console's template form manages a template's languages against a fake admin API: other
languages' texts are sent to the admin API whole, stored ones are shown for editing, a letter can
be Welsh then English, and incomplete groups are refused before the admin API is asked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from notify_admin_console.template_languages import api_fields, form_values
from tests.unit.admin_console.fake_gateway import console_client, ok
from tests.unit.admin_console.test_integration_pages import as_user, post
from tests.unit.admin_console.test_permissions import SERVICE, person

TEMPLATE_ID = "7c1f0a2e-0000-4000-8000-0000000000aa"
EDITOR = person("editor", ["manage_templates"])
STORED = {
    "id": TEMPLATE_ID,
    "name": "Reminder",
    "template_type": "letter",
    "subject": "Your licence",
    "content": "Dear ((name))",
    "version": 2,
    "archived": False,
    "language": "en",
    "language_variants": {"fr": {"subject": "Votre permis", "content": "Cher ((name))"}},
    "letter_languages": "welsh_then_english",
    "letter_welsh_subject": "Eich trwydded",
    "letter_welsh_content": "Annwyl ((name))",
}


class FakeAdmin:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else None
        if method != "GET":
            self.calls.append((method, path, body))
        if path.startswith("/admin/console/users/"):
            return ok(EDITOR)
        if path == f"/admin/services/{SERVICE}":
            return ok({"id": SERVICE, "name": "Test", "live": True, "prefix_sms": False})
        if path.endswith(f"/templates/{TEMPLATE_ID}"):
            return ok(STORED)
        if method == "POST" and path.endswith("/templates"):
            return ok({"id": TEMPLATE_ID}, 201)
        if path.endswith("/template-folders"):
            return ok({"folders": [], "placements": {}})
        return ok([])


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def client(fake: FakeAdmin) -> Iterator[TestClient]:
    with console_client(fake) as test_client:
        yield as_user(test_client, "editor")


def test_a_new_template_is_saved_with_its_other_languages(client: TestClient, fake: FakeAdmin) -> None:
    response = post(
        client,
        f"/services/{SERVICE}/templates/add",
        template_type="sms",
        name="Reminder",
        content="Hello ((name))",
        language="en",
        **{"variant-0-language": "cy", "variant-0-content": "Helo ((name))", "variant-1-language": ""},
    )
    assert response.status_code == 303, response.text
    [(_, _, body)] = [c for c in fake.calls if c[1].endswith("/templates")]
    assert body["language"] == "en"
    assert body["variants"] == {"cy": {"content": "Helo ((name))", "subject": None}}


def test_a_language_without_its_message_is_refused_before_the_admin_api_is_asked(
    client: TestClient, fake: FakeAdmin
) -> None:
    response = post(
        client,
        f"/services/{SERVICE}/templates/add",
        template_type="sms",
        name="Reminder",
        content="Hello",
        **{"variant-0-language": "cy", "variant-0-content": ""},
    )
    assert response.status_code == 400
    assert "Enter the message in cy" in response.text
    assert fake.calls == []


def test_the_edit_form_shows_the_stored_languages_and_the_welsh_part(client: TestClient) -> None:
    page = client.get(f"/services/{SERVICE}/templates/{TEMPLATE_ID}/edit").text
    for shown in ('value="fr"', "Cher ((name))", "Votre permis", "Eich trwydded", "Annwyl ((name))"):
        assert shown in page
    assert 'value="welsh_then_english" checked' in page


def test_an_edit_sends_the_languages_whole_and_a_cleared_language_is_removed(
    client: TestClient, fake: FakeAdmin
) -> None:
    fields = {k: str(v) for k, v in form_values(STORED).items()}
    fields["variant-0-language"] = ""  # clear fr
    fields.update({"variant-0-subject": "", "variant-0-content": ""})
    response = post(
        client,
        f"/services/{SERVICE}/templates/{TEMPLATE_ID}/edit",
        name="Reminder",
        subject="Your licence",
        content="Dear ((name))",
        **fields,
    )
    assert response.status_code == 303, response.text
    [(method, _, body)] = fake.calls
    assert method == "PATCH"
    assert body["variants"] == {}
    assert (body["letter_languages"], body["letter_welsh_subject"]) == ("welsh_then_english", "Eich trwydded")


def test_an_english_letter_sends_no_welsh_part() -> None:
    fields = api_fields(
        {"template_type": "letter", "letter_languages": "english", "letter_welsh_subject": "x"}
    )
    assert fields == {"language": "en", "variants": {}, "letter_languages": "english"}


def test_the_template_page_names_its_languages(client: TestClient) -> None:
    page = client.get(f"/services/{SERVICE}/templates/{TEMPLATE_ID}").text
    assert "Written in en; also in fr; printed in Welsh then English." in page


def test_the_forms_language_fields_do_not_share_the_template_fields_labels(client: TestClient) -> None:
    """The browser tests find the template's name and message by their labels, as substrings
    (Playwright's ``get_by_label``): no language field's label may contain them."""
    page = client.get(f"/services/{SERVICE}/templates/{TEMPLATE_ID}/edit").text
    labels = re.findall(r'<label class="[^"]*" for="([^"]+)">\s*([^<]*?)\s*</label>', page)
    assert len(labels) > 8  # the form's fields, the language groups included
    for wanted, field in (("Template name", "name"), ("Message", "content")):
        assert [f for f, text in labels if wanted.lower() in text.lower()] == [field]
