"""A template's ``created_by`` is the email address of whoever made that version, as in Notify: the
console user named in the request, else the platform's admin email (``NOTIFY_ADMIN_EMAIL``,
``notify-admin@<email domain>`` by default) for a call made with the admin token alone."""

from __future__ import annotations

import httpx

from notify_api_gateway.settings import ApiSettings
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, admin_url_of


def test_a_template_made_with_the_admin_token_alone_is_created_by_the_admin_email(
    sandbox: Sandbox, api_url: str, gateway_settings: ApiSettings
) -> None:
    shown = sandbox.get(f"/v2/template/{sandbox.templates['sms']}").json()
    assert shown["created_by"] == f"notify-admin@{gateway_settings.email_domain}"


def test_each_version_records_who_made_it(
    sandbox: Sandbox, api_url: str, gateway_settings: ApiSettings
) -> None:
    path = f"/services/{sandbox.service_id}/templates"
    template_id = admin(
        api_url,
        "POST",
        path,
        {"name": "t", "template_type": "sms", "content": "Hi", "created_by": "Ada@Example.gov.uk"},
    )["id"]
    admin(api_url, "PATCH", f"{path}/{template_id}", {"content": "Hello", "created_by": "bo@example.gov.uk"})
    admin(api_url, "PATCH", f"{path}/{template_id}", {"content": "Hello there"})
    versions = [
        sandbox.get(f"/v2/template/{template_id}/version/{v}").json()["created_by"] for v in (1, 2, 3)
    ]
    assert versions == [
        "Ada@Example.gov.uk",
        "bo@example.gov.uk",
        f"notify-admin@{gateway_settings.email_domain}",
    ]
    assert sandbox.get(f"/v2/template/{template_id}").json()["created_by"] == versions[-1]


def test_created_by_must_be_an_email_address(sandbox: Sandbox, api_url: str) -> None:
    refused = httpx.post(
        f"{admin_url_of(api_url)}/admin/services/{sandbox.service_id}/templates",
        json={"name": "t", "template_type": "sms", "content": "Hi", "created_by": "notify-admin"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"error": "AdminError", "message": "created_by must be an email address"}
    ]
