"""The admin API's branding routes against the real database and S3 (moto): logos checked and
stored, the email and letter branding pools, a service's choice of one of each, and the sends
accepted after a choice carrying it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from notify_api_gateway.settings import ApiSettings
from notify_common import topics
from notify_common.events import EmailRequested, LetterRequested
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, admin_url_of, events_on
from tests.support.logos import SVG_LOGO, image_logo


def raw(url: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kwargs.pop("headers", {})}
    return httpx.request(method, f"{admin_url_of(url)}/admin{path}", headers=headers, timeout=30, **kwargs)


def upload(url: str, kind: str, data: bytes) -> httpx.Response:
    return raw(url, "POST", f"/branding-logos/{kind}", content=data)


def refusal(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status
    assert len(body["errors"]) == 1
    return str(body["errors"][0]["message"])


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:8]}"


def test_an_uploaded_png_logo_is_stored_in_s3_and_read_back_unchanged(api_url: str) -> None:
    png = image_logo()

    stored = upload(api_url, "email", png)

    assert stored.status_code == 201, stored.text
    key = stored.json()["data"]["logo"]
    assert key.startswith("email/")
    assert key.endswith(".png")
    read = raw(api_url, "GET", f"/branding-logos/{key}")
    assert read.status_code == 200
    assert read.content == png
    assert read.headers["content-type"] == "image/png"
    assert read.headers["x-content-type-options"] == "nosniff"


def test_a_logo_that_is_not_an_image_of_an_accepted_kind_is_refused_with_a_clear_400(api_url: str) -> None:
    assert (
        refusal(upload(api_url, "email", b"%PDF-1.7 not a logo"), 400) == "Logo must be a PNG or JPEG image"
    )
    assert refusal(upload(api_url, "email", SVG_LOGO), 400) == "Logo must be a PNG or JPEG image"
    assert refusal(upload(api_url, "letter", b"GIF89a....."), 400) == "Logo must be an SVG, PNG or JPEG image"
    assert refusal(upload(api_url, "letter", b""), 400) == "Logo file is empty"
    gif = image_logo(image_format="GIF")
    assert refusal(upload(api_url, "email", gif), 400) == "Logo must be a PNG or JPEG image"


def test_a_logo_over_the_size_limit_is_refused(api_url: str) -> None:
    noisy = image_logo(size=(3000, 3000), image_format="BMP")  # 27 MB: over the body limit too
    response = upload(api_url, "email", noisy[: 2 * 1024 * 1024 + 1])

    assert refusal(response, 400) == "Logo must be 2048 KB or smaller"


def test_an_svg_letter_logo_is_taken_but_one_with_a_script_is_refused(api_url: str) -> None:
    assert upload(api_url, "letter", SVG_LOGO).json()["data"]["logo"].endswith(".svg")
    scripted = SVG_LOGO.replace(b"</svg>", b"<script>alert(1)</script></svg>")
    handler = SVG_LOGO.replace(b"<rect ", b'<rect onload="alert(1)" ')

    for svg in (scripted, handler):
        message = refusal(upload(api_url, "letter", svg), 400)
        assert message == "Logo SVG files cannot contain scripts, event handlers or embedded pages"


def test_an_email_branding_is_created_listed_and_changed(api_url: str) -> None:
    logo = upload(api_url, "email", image_logo()).json()["data"]["logo"]
    name = unique("Department of Examples")

    created = admin(
        api_url,
        "POST",
        "/email-branding",
        {"name": name, "brand_type": "both", "colour": "#D4351C", "text": "Examples", "logo": logo},
    )
    changed = admin(
        api_url, "PATCH", f"/email-branding/{created['id']}", {"brand_type": "org_banner", "text": None}
    )

    assert created["colour"] == "#d4351c"  # stored lower-cased
    assert (created["brand_type"], created["logo"], created["text"]) == ("both", logo, "Examples")
    assert (changed["brand_type"], changed["text"], changed["colour"]) == ("org_banner", None, "#d4351c")
    assert changed["updated_at"] is not None
    listed = {b["id"]: b for b in admin(api_url, "GET", "/email-branding")}
    assert listed[created["id"]] == changed


def test_an_email_branding_its_type_cannot_show_is_refused(api_url: str) -> None:
    def create(body: dict[str, Any]) -> httpx.Response:
        return raw(api_url, "POST", "/email-branding", json={"name": unique("Refused"), **body})

    assert refusal(create({"brand_type": "org"}), 400) == "A branding of type org needs a logo"
    assert (
        refusal(create({"brand_type": "org_banner"}), 400)
        == "A branding of type org_banner needs a logo, text or both"
    )
    assert "colour" in refusal(create({"brand_type": "govuk", "colour": "red"}), 400)
    assert "brand_type" in refusal(create({"brand_type": "rainbow"}), 400)
    made_up = "email/00000000-0000-0000-0000-000000000000.gif"
    assert (
        refusal(create({"brand_type": "org", "logo": made_up}), 400)
        == "logo must be the key of an uploaded email logo"
    )


def test_two_brandings_cannot_share_a_name(api_url: str) -> None:
    name = unique("Twice")
    admin(api_url, "POST", "/email-branding", {"name": name, "brand_type": "govuk"})

    response = raw(api_url, "POST", "/email-branding", json={"name": name, "brand_type": "govuk"})

    assert refusal(response, 409) == f"A branding called ‘{name}’ already exists"


def test_a_letter_branding_is_created_listed_and_changed(api_url: str) -> None:
    svg = upload(api_url, "letter", SVG_LOGO).json()["data"]["logo"]
    png = upload(api_url, "letter", image_logo()).json()["data"]["logo"]

    created = admin(api_url, "POST", "/letter-branding", {"name": unique("Letters"), "logo": svg})
    changed = admin(api_url, "PATCH", f"/letter-branding/{created['id']}", {"logo": png})

    assert changed["logo"] == png
    assert created["id"] in {b["id"] for b in admin(api_url, "GET", "/letter-branding")}
    missing = raw(api_url, "POST", "/letter-branding", json={"name": unique("No logo")})
    assert "logo" in refusal(missing, 400)


def test_a_service_has_govuk_branding_until_it_chooses_another_from_the_pool_or_none(
    sandbox: Sandbox,
) -> None:
    url, path = sandbox.url, f"/services/{sandbox.service_id}/branding"
    logo = upload(url, "email", image_logo()).json()["data"]["logo"]
    email = admin(
        url, "POST", "/email-branding", {"name": unique("Chosen"), "brand_type": "org", "logo": logo}
    )
    letter_logo = upload(url, "letter", SVG_LOGO).json()["data"]["logo"]
    letter = admin(url, "POST", "/letter-branding", {"name": unique("Chosen letters"), "logo": letter_logo})

    default = admin(url, "GET", path)
    chosen = admin(url, "PATCH", path, {"email_branding": email["id"], "letter_branding": letter["id"]})
    without = admin(url, "PATCH", path, {"email_branding": "none"})
    back = admin(url, "PATCH", path, {"email_branding": "govuk", "letter_branding": None})

    assert default == {"email_branding": "govuk", "email": None, "letter_branding": None}
    assert chosen == {"email_branding": "pool", "email": email, "letter_branding": letter}
    assert without == {"email_branding": "none", "email": None, "letter_branding": letter}
    assert back == {"email_branding": "govuk", "email": None, "letter_branding": None}


def test_choosing_a_branding_that_is_not_in_the_pool_is_a_404(sandbox: Sandbox) -> None:
    path = f"/services/{sandbox.service_id}/branding"
    unknown = str(uuid.uuid4())

    assert (
        refusal(raw(sandbox.url, "PATCH", path, json={"email_branding": unknown}), 404)
        == "Branding not found"
    )
    assert (
        refusal(raw(sandbox.url, "PATCH", path, json={"letter_branding": "x"}), 404) == "Branding not found"
    )
    other = f"/services/{uuid.uuid4()}/branding"
    assert (
        refusal(raw(sandbox.url, "PATCH", other, json={"email_branding": "govuk"}), 404)
        == "Service not found"
    )


def test_a_send_accepted_after_a_branding_is_chosen_carries_it_and_the_next_change_applies_to_the_next_send(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    url, path = sandbox.url, f"/services/{sandbox.service_id}/branding"
    logo = upload(url, "email", image_logo()).json()["data"]["logo"]
    name = unique("Sent with")
    body = {"name": name, "brand_type": "org_banner", "colour": "#005ea5", "text": "Examples", "logo": logo}
    email = admin(url, "POST", "/email-branding", body)
    letter_logo = upload(url, "letter", SVG_LOGO).json()["data"]["logo"]
    letter = admin(url, "POST", "/letter-branding", {"name": unique("Sent letters"), "logo": letter_logo})
    before = send_email(sandbox)

    admin(url, "PATCH", path, {"email_branding": email["id"], "letter_branding": letter["id"]})
    branded, letter_id = send_email(sandbox), send_letter(sandbox)
    admin(url, "PATCH", path, {"email_branding": "none"})
    unbranded = send_email(sandbox)

    found = events_on(gateway_settings, topics.EMAIL_REQUESTED, {before, branded, unbranded})
    events = {e.notification_id: e for e in found if isinstance(e, EmailRequested)}
    assert events[before].branding_type == "govuk"
    assert (events[branded].branding_type, events[branded].branding_name) == ("org_banner", name)
    assert (events[branded].branding_colour, events[branded].branding_text) == ("#005ea5", "Examples")
    assert events[branded].branding_logo == logo
    assert (events[unbranded].branding_type, events[unbranded].branding_logo) == ("none", None)
    [letter_event] = events_on(gateway_settings, topics.LETTER_REQUESTED, {letter_id})
    assert isinstance(letter_event, LetterRequested)
    assert letter_event.letter_logo == letter_logo


def send_email(sandbox: Sandbox) -> str:
    personalisation = {"name": "Ada", "items": ["a"]}
    body = {
        "email_address": "ada@example.com",
        "template_id": sandbox.templates["email"],
        "personalisation": personalisation,
    }
    response = sandbox.post("/v2/notifications/email", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def send_letter(sandbox: Sandbox) -> str:
    personalisation = {
        "name": "Ada",
        "address_line_1": "Ada Lovelace",
        "address_line_2": "1 Example Street",
        "postcode": "SW1A 1AA",
    }
    response = sandbox.post(
        "/v2/notifications/letter",
        {"template_id": sandbox.templates["letter"], "personalisation": personalisation},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
