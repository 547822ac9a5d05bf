"""Templates in several languages through the admin API and the api-gateway, against the real
broker and database: a send in a variant's language is accepted (201) in that language and reads
back with it; an unknown language is a 400 in Notify's error shape; variants are versioned with the
template."""

from __future__ import annotations

from typing import Any

import httpx

from notify_api_gateway.settings import ApiSettings
from notify_common import topics
from notify_common.events import SmsRequested
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, events_on


def welsh_template(sandbox: Sandbox, **extra: Any) -> str:
    body = {
        "name": "bilingual",
        "template_type": "sms",
        "content": "Hello ((name))",
        "variants": {"CY": {"content": "Helo ((name))"}},
        **extra,
    }
    created = admin(sandbox.url, "POST", f"/services/{sandbox.service_id}/templates", body)
    return str(created["id"])


def test_a_text_message_sent_in_welsh_is_accepted_in_welsh_and_reads_back_its_language(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    template_id = welsh_template(sandbox)
    body = {
        "phone_number": "07700 900123",
        "template_id": template_id,
        "personalisation": {"name": "Ann"},
        "language": "cy",
    }
    response = sandbox.post("/v2/notifications/sms", body)
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["content"]["body"].endswith(": Helo Ann")
    [event] = events_on(gateway_settings, topics.SMS_REQUESTED, {sent["id"]})
    assert isinstance(event, SmsRequested)
    assert event.language == "cy"
    assert sandbox.get(f"/v2/notifications/{sent['id']}").json()["language"] == "cy"

    default = sandbox.post("/v2/notifications/sms", {**body, "language": "en"}).json()
    assert default["content"]["body"].endswith(": Hello Ann")


def test_a_language_the_template_lacks_is_a_400_in_notifys_error_shape(sandbox: Sandbox) -> None:
    template_id = welsh_template(sandbox)
    body = {"phone_number": "07700 900123", "template_id": template_id, "personalisation": {"name": "Ann"}}
    response = sandbox.post("/v2/notifications/sms", {**body, "language": "fr"})
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "errors": [{"error": "BadRequestError", "message": "language fr is not available for this template"}],
    }
    malformed = sandbox.post("/v2/notifications/sms", {**body, "language": "Welsh!"})
    assert malformed.status_code == 400
    assert malformed.json()["errors"] == [
        {"error": "ValidationError", "message": "language Welsh! is not a valid language tag"}
    ]


def test_variants_are_versioned_with_the_template_and_shown_by_template_reads(sandbox: Sandbox) -> None:
    template_id = welsh_template(sandbox)
    path = f"/services/{sandbox.service_id}/templates/{template_id}"
    admin(sandbox.url, "PATCH", path, {"variants": {"fr": {"content": "Bonjour ((name))"}}})
    assert sandbox.get(f"/v2/template/{template_id}").json()["variants"] == {
        "fr": {"subject": None, "body": "Bonjour ((name))"}
    }
    first = sandbox.get(f"/v2/template/{template_id}/version/1").json()
    assert (first["language"], first["variants"]) == (
        "en",
        {"cy": {"subject": None, "body": "Helo ((name))"}},
    )


def test_the_admin_api_refuses_a_malformed_tag_and_an_empty_variant(sandbox: Sandbox) -> None:
    url = f"{sandbox.admin_url}/admin/services/{sandbox.service_id}/templates"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for variants, message in (
        ({"not a tag": {"content": "x"}}, "language: not a tag is not a valid language tag"),
        ({"cy": {"content": " "}}, "content can not be empty"),
        ({"en": {"content": "Hi"}}, "language en is the template's own language, not a variant"),
    ):
        body = {"name": "t", "template_type": "sms", "content": "Hi", "variants": variants}
        response = httpx.post(url, json=body, headers=headers, timeout=30)
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["message"] == message


def test_a_template_previews_in_the_language_asked_for(sandbox: Sandbox) -> None:
    template_id = welsh_template(sandbox)
    path = f"/v2/template/{template_id}/preview"
    welsh = sandbox.post(path, {"personalisation": {"name": "Ann"}, "language": "cy"})
    assert (welsh.status_code, welsh.json()["body"]) == (200, "Helo Ann")
    assert sandbox.post(path, {"personalisation": {"name": "Ann"}}).json()["body"] == "Hello Ann"
    unknown = sandbox.post(path, {"personalisation": {"name": "Ann"}, "language": "fr"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["message"] == "language fr is not available for this template"
