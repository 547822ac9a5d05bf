"""The public API's contract with GOV.UK Notify's official Python client (from PyPI, unmodified):
every method of ``NotificationsAPIClient`` that calls a public v2 endpoint gets an answer the
client parses, with exactly the keys Notify's responses have. Runs against an api-gateway in this
process; the whole platform's version is tests/e2e/api."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from tests.integration.api_gateway.harness import Sandbox, api_settings, make_sandbox, running_api
from tests.support.shapes import NOTIFICATION_KEYS

SEND_KEYS = {"id", "reference", "uri", "template", "scheduled_for", "content"}
TEMPLATE_KEYS = {
    "id",
    "type",
    "created_at",
    "updated_at",
    "created_by",
    "version",
    "body",
    "subject",
    "name",
    "personalisation",
    "postage",
    "letter_contact_block",
    # Beyond Notify's shape (docs/languages.md): the default language and the other languages.
    "language",
    "variants",
}


@pytest.fixture(scope="module")
def sandbox(database: str, kafka_topics: str) -> Iterator[Sandbox]:
    with running_api(api_settings()) as url:
        yield make_sandbox(url)


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> NotificationsAPIClient:
    return NotificationsAPIClient(sandbox.keys["normal"], base_url=sandbox.url)


def test_sending_each_kind_of_message(sandbox: Sandbox, client: NotificationsAPIClient) -> None:
    sms = client.send_sms_notification(
        "07700900123", sandbox.templates["sms"], {"name": "a", "code": "1"}, "r1"
    )
    assert set(sms) == SEND_KEYS
    assert set(sms["content"]) == {"body", "from_number"}
    email = client.send_email_notification(
        "a@example.com", sandbox.templates["email"], {"name": "a", "items": ["x"]}
    )
    assert set(email) == SEND_KEYS | {"sanitised_content"}
    assert set(email["content"]) == {"from_email", "body", "subject", "one_click_unsubscribe_url"}
    letter = client.send_letter_notification(
        sandbox.templates["letter"],
        {"name": "a", "address_line_1": "A", "address_line_2": "B 1", "postcode": "SW1A 1AA"},
    )
    assert set(letter) == SEND_KEYS
    assert set(letter["content"]) == {"body", "subject"}
    precompiled = client.send_precompiled_letter_notification("ref", io.BytesIO(b"%PDF-1.4 x"))
    assert set(precompiled) == {"id", "reference", "postage"}
    assert precompiled["postage"] == "second"
    assert client.get_pdf_for_letter(precompiled["id"]).read() == b"%PDF-1.4 x"
    for sent, kind in ((sms, "sms"), (email, "email")):
        shown = client.get_notification_by_id(sent["id"])
        assert set(shown) == NOTIFICATION_KEYS
        assert shown["type"] == kind
    assert set(client.get_notification_by_id(letter["id"])) == NOTIFICATION_KEYS | {"estimated_delivery"}


def test_listing_and_templates(sandbox: Sandbox, client: NotificationsAPIClient) -> None:
    listed = client.get_all_notifications(
        status="delivered", template_type="sms", reference="none", include_jobs=True
    )
    assert listed == {"notifications": [], "links": listed["links"]}
    assert list(client.get_all_notifications_iterator(status="failed")) == []
    assert set(client.get_template(sandbox.templates["sms"])) == TEMPLATE_KEYS
    assert set(client.get_template_version(sandbox.templates["sms"], 1)) == TEMPLATE_KEYS
    assert {t["type"] for t in client.get_all_templates()["templates"]} == {"sms", "email", "letter"}
    preview = client.post_template_preview(sandbox.templates["sms"], {"name": "a", "code": "1"})
    assert set(preview) == {"id", "type", "version", "body", "html", "subject", "postage"}
    assert client.get_received_texts() == {
        "received_text_messages": [],
        "links": client.get_received_texts()["links"],
    }
    assert list(client.get_received_texts_iterator()) == []


def test_errors_are_httperrors_with_notifys_body(sandbox: Sandbox, client: NotificationsAPIClient) -> None:
    with pytest.raises(HTTPError) as caught:
        client.send_sms_notification("07700900123", sandbox.templates["sms"])
    assert caught.value.status_code == 400
    assert caught.value.message == [
        {"error": "BadRequestError", "message": "Missing personalisation: name, code"}
    ]
