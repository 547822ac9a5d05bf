"""Console accounts through the admin API against the running platform: brute-force lockout,
single-use codes, TOTP set-up and sign-in, and invitations that create an account and a membership."""

from __future__ import annotations

import secrets

import pyotp

from tests.e2e.console.conftest import Console


def new_user(console: Console, **extra: object) -> tuple[str, str, str]:
    email = f"grace.{secrets.token_hex(4)}@example.gov.uk"
    password = f"long password {secrets.token_hex(4)}"
    body = {
        "name": "Grace Hopper",
        "email_address": email,
        "password": password,
        "mobile_number": "07700900321",
    }
    answer = console.api.post("/admin/console/users", json={**body, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"], email, password


def test_ten_wrong_passwords_lock_the_account_and_the_refusal_never_changes(console: Console) -> None:
    _, email, password = new_user(console)
    unknown = console.api.post(
        "/admin/console/users/verify-password",
        json={"email_address": "nobody@example.gov.uk", "password": "x"},
    )
    for _ in range(10):
        wrong = console.api.post(
            "/admin/console/users/verify-password",
            json={"email_address": email, "password": "wrong password"},
        )
        assert wrong.status_code == 400
        assert wrong.json() == unknown.json()
    right = console.api.post(
        "/admin/console/users/verify-password", json={"email_address": email, "password": password}
    )
    assert right.status_code == 400
    assert right.json() == unknown.json()


def test_a_text_message_code_works_once(console: Console) -> None:
    user_id, _, _ = new_user(console)
    issued = console.api.post(f"/admin/console/users/{user_id}/codes", json={"code_type": "sms"}).json()[
        "data"
    ]
    assert issued["to"] == "447700900321"
    check = {"code": issued["code"], "code_type": "sms"}
    first = console.api.post(f"/admin/console/users/{user_id}/verify-code", json=check)
    assert first.status_code == 200
    assert first.json()["data"]["logged_in_at"] is not None
    again = console.api.post(f"/admin/console/users/{user_id}/verify-code", json=check)
    assert again.status_code == 400


def test_an_authenticator_app_is_confirmed_with_a_code_and_then_signs_in(console: Console) -> None:
    user_id, _, _ = new_user(console)
    started = console.api.post(f"/admin/console/users/{user_id}/totp").json()["data"]
    totp = pyotp.TOTP(started["secret"])
    assert started["provisioning_uri"].startswith("otpauth://totp/")
    refused = console.api.post(f"/admin/console/users/{user_id}/totp/confirm", json={"code": "000000"})
    assert refused.status_code == 400 or totp.now() == "000000"
    confirmed = console.api.post(f"/admin/console/users/{user_id}/totp/confirm", json={"code": totp.now()})
    assert confirmed.json()["data"]["auth_type"] == "totp"
    signed_in = console.api.post(
        f"/admin/console/users/{user_id}/verify-code", json={"code": totp.now(), "code_type": "totp"}
    )
    assert signed_in.status_code == 200


def test_an_invitation_creates_the_account_with_the_permissions_it_names(console: Console) -> None:
    email = f"alan.{secrets.token_hex(4)}@example.gov.uk"
    invited = console.api.post(
        f"/admin/console/services/{console.service_id}/invites",
        json={"email_address": email, "permissions": ["send_messages"]},
    ).json()["data"]
    seen = console.api.get(f"/admin/console/invites/{invited['token']}").json()["data"]
    assert (seen["status"], seen["email_address"], seen["existing_user_id"]) == ("pending", email, None)
    accepted = console.api.post(
        f"/admin/console/invites/{invited['token']}/accept",
        json={"name": "Alan Turing", "mobile_number": "07700900654", "password": "a long password"},
    ).json()["data"]
    assert [(s["id"], s["permissions"]) for s in accepted["services"]] == [
        (console.service_id, ["send_messages"])
    ]
    again = console.api.post(f"/admin/console/invites/{invited['token']}/accept", json={})
    assert again.status_code == 410
    team = console.api.get(f"/admin/services/{console.service_id}/team-members").json()["data"]
    assert email in {m["email_address"] for m in team}  # trial-mode sends may reach them
