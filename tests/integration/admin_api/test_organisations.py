"""The admin API's organisations against the real database: creating and changing them, email
domains that place a new service, a console user creating a service (``add-service``), the team,
the agreement as a task of going live, approval at organisation level, and an organisation's usage
(each service's free allowance set by the organisation's type)."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, insert

from notify_admin_api.cli import main
from notify_projector.tables import ft_billing
from tests.integration.api_gateway.harness import ADMIN_TOKEN, admin, admin_url_of, make_sandbox
from tests.support import env

ALL_PERMISSIONS = ["view_activity", "send_messages", "manage_templates", "manage_service", "manage_api_keys"]


@pytest.fixture(scope="module")
def db() -> Any:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


def call(url: str, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{admin_url_of(url)}/admin{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )


def refusal(response: httpx.Response, status: int) -> str:
    """The message of a refusal in Notify's error shape, having checked its status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status
    message: str = body["errors"][0]["message"]
    return message


def organisation(url: str, organisation_type: str = "central", **extra: Any) -> dict[str, Any]:
    name = f"Department {secrets.token_hex(4)}"
    found: dict[str, Any] = admin(
        url, "POST", "/organisations", {"name": name, "organisation_type": organisation_type}
    )
    if extra:
        found = admin(url, "PATCH", f"/organisations/{found['id']}", extra)
    return found


def person(url: str, email: str | None = None, *, platform_admin: bool = False) -> dict[str, Any]:
    stamp = secrets.token_hex(4)
    found: dict[str, Any] = admin(
        url,
        "POST",
        "/console/users",
        {
            "name": f"Person {stamp}",
            "email_address": email or f"p.{stamp}@example.com",
            "password": "a long password",
            "mobile_number": "07700900321",
            "platform_admin": platform_admin,
        },
    )
    return found


def test_an_organisation_is_created_listed_read_and_changed(api_url: str) -> None:
    created = organisation(api_url, "local")
    assert created["organisation_type"] == "local"
    assert created["organisation_type_label"] == "Local government"
    assert created["agreement_signed"] is False
    assert created["domains"] == []
    assert created["services"] == []
    assert created["id"] in {o["id"] for o in admin(api_url, "GET", "/organisations")}

    again = call(api_url, "POST", "/organisations", {"name": created["name"], "organisation_type": "other"})
    assert refusal(again, 409) == "An organisation with this name already exists"
    wrong = call(api_url, "POST", "/organisations", {"name": "A council", "organisation_type": "council"})
    assert refusal(wrong, 400).startswith("organisation_type must be one of central, local, nhs_central")

    changed = admin(
        api_url,
        "PATCH",
        f"/organisations/{created['id']}",
        {"organisation_type": "school_or_college", "can_approve_own_go_live_requests": True},
    )
    assert changed["organisation_type"] == "school_or_college"
    assert changed["can_approve_own_go_live_requests"] is True
    admin(api_url, "PATCH", f"/organisations/{created['id']}", {"archived": True})
    assert created["id"] not in {o["id"] for o in admin(api_url, "GET", "/organisations")}
    assert refusal(call(api_url, "GET", f"/organisations/{uuid.uuid4()}"), 404) == "Organisation not found"


def test_a_domain_belongs_to_one_organisation_and_finds_it_from_an_address_at_it_or_below(
    api_url: str,
) -> None:
    stamp = secrets.token_hex(4)
    council, department = organisation(api_url, "local"), organisation(api_url)
    added = admin(
        api_url, "POST", f"/organisations/{council['id']}/domains", {"domain": f"@Council-{stamp}.GOV.uk"}
    )
    assert added["domains"] == [f"council-{stamp}.gov.uk"]
    taken = call(
        api_url, "POST", f"/organisations/{department['id']}/domains", {"domain": f"council-{stamp}.gov.uk"}
    )
    assert refusal(taken, 409) == f"council-{stamp}.gov.uk belongs to another organisation"
    bad = call(api_url, "POST", f"/organisations/{department['id']}/domains", {"domain": "not a domain"})
    assert refusal(bad, 400) == "Enter a domain like example.gov.uk"
    admin(
        api_url,
        "POST",
        f"/organisations/{department['id']}/domains",
        {"domain": f"housing.council-{stamp}.gov.uk"},
    )

    def found(address: str) -> Any:
        answer = admin(api_url, "POST", "/organisations/by-email-address", {"email_address": address})
        return answer["id"] if answer else None

    assert found(f"ann@council-{stamp}.gov.uk") == council["id"]
    assert found(f"ann@parks.council-{stamp}.gsi.gov.uk") == council["id"]
    assert found(f"bob@housing.council-{stamp}.gov.uk") == department["id"]  # the longest domain wins
    assert found(f"eve@notcouncil-{stamp}.gov.uk") is None

    removed = admin(api_url, "DELETE", f"/organisations/{council['id']}/domains/council-{stamp}.gov.uk")
    assert removed["domains"] == []
    assert found(f"ann@council-{stamp}.gov.uk") is None


def test_a_new_service_goes_in_trial_mode_to_the_organisation_of_its_creators_domain(api_url: str) -> None:
    stamp = secrets.token_hex(4)
    council = organisation(api_url, "local")
    admin(api_url, "POST", f"/organisations/{council['id']}/domains", {"domain": f"c{stamp}.gov.uk"})
    creator = person(api_url, f"ann@c{stamp}.gov.uk")
    choices = admin(api_url, "GET", f"/console/users/{creator['id']}/add-service-choices")
    assert choices["default"] == council["id"]
    assert [o["id"] for o in choices["organisations"]] == [council["id"]]

    made = admin(
        api_url,
        "POST",
        "/console/add-service",
        {"name": f"Parking Permits {stamp}", "user_id": creator["id"]},
    )
    assert made["organisation_id"] == council["id"]
    service = admin(api_url, "GET", f"/services/{made['service_id']}")
    assert service["live"] is False
    assert service["organisation_id"] == council["id"]
    assert service["email_from"] == f"parking.permits.{stamp}"
    assert (service["sms_message_limit"], service["email_message_limit"]) == (50, 50)
    member = admin(api_url, "GET", f"/console/users/{creator['id']}")
    assert [(s["id"], s["permissions"]) for s in member["services"]] == [
        (made["service_id"], ALL_PERMISSIONS)
    ]
    assert made["service_id"] in {
        s["id"] for s in admin(api_url, "GET", f"/organisations/{council['id']}")["services"]
    }

    same_name = call(
        api_url,
        "POST",
        "/console/add-service",
        {"name": f"Parking Permits {stamp}", "user_id": creator["id"]},
    )
    assert refusal(same_name, 409) == f"A service called Parking Permits {stamp} already exists"
    elsewhere = organisation(api_url)
    not_theirs = call(
        api_url,
        "POST",
        "/console/add-service",
        {"name": f"Other {stamp}", "user_id": creator["id"], "organisation_id": elsewhere["id"]},
    )
    assert refusal(not_theirs, 403) == "You cannot add a service to this organisation"

    none_of_them = admin(
        api_url,
        "POST",
        "/console/add-service",
        {"name": f"Outside {stamp}", "user_id": creator["id"], "no_organisation": True},
    )
    assert none_of_them["organisation_id"] is None

    outsider = person(api_url)
    alone = admin(
        api_url, "POST", "/console/add-service", {"name": f"Alone {stamp}", "user_id": outsider["id"]}
    )
    assert alone["organisation_id"] is None
    assert admin(api_url, "GET", f"/services/{alone['service_id']}")["organisation_id"] is None


def test_the_team_of_an_organisation_and_the_organisations_a_person_is_in(api_url: str) -> None:
    department = organisation(api_url)
    someone = person(api_url)
    team = admin(
        api_url,
        "POST",
        f"/organisations/{department['id']}/users",
        {"email_address": someone["email_address"].upper()},
    )
    assert [m["id"] for m in team] == [someone["id"]]
    assert [o["id"] for o in admin(api_url, "GET", f"/console/users/{someone['id']}/organisations")] == [
        department["id"]
    ]
    choices = admin(api_url, "GET", f"/console/users/{someone['id']}/add-service-choices")
    assert (choices["default"], [o["id"] for o in choices["organisations"]]) == (None, [department["id"]])
    chosen = admin(
        api_url,
        "POST",
        "/console/add-service",
        {
            "name": f"Chosen {secrets.token_hex(4)}",
            "user_id": someone["id"],
            "organisation_id": department["id"],
        },
    )
    assert chosen["organisation_id"] == department["id"]

    unknown = call(
        api_url, "POST", f"/organisations/{department['id']}/users", {"email_address": "nobody@example.com"}
    )
    assert refusal(unknown, 404).startswith("There is no Notify account with this email address")
    assert admin(api_url, "DELETE", f"/organisations/{department['id']}/users/{someone['id']}") == []
    assert admin(api_url, "GET", f"/console/users/{someone['id']}/organisations") == []


def _ready_to_go_live(url: str, organisation_id: str) -> tuple[str, str]:
    """A trial service in the organisation whose checklist is done but for the agreement, and the
    id of a manager of it."""
    trial = make_sandbox(url, live=False)
    admin(url, "PUT", f"/organisations/{organisation_id}/services/{trial.service_id}")
    managers = [person(url)["id"] for _ in range(2)]
    for manager in managers:
        admin(
            url,
            "PUT",
            f"/console/services/{trial.service_id}/users/{manager}",
            {"permissions": ["manage_service"]},
        )
    admin(
        url, "POST", f"/services/{trial.service_id}/senders/email-reply-to", {"value": "team@example.gov.uk"}
    )
    return trial.service_id, managers[0]


def test_going_live_asks_for_the_agreement_and_a_platform_admin_approves_from_the_organisation(
    api_url: str,
) -> None:
    department = organisation(api_url)
    service_id, manager = _ready_to_go_live(api_url, department["id"])
    base = f"/console/services/{service_id}"
    tasks = {t["task"]: t for t in admin(api_url, "GET", f"{base}/go-live")["checklist"]}
    assert tasks["agreement"]["done"] is False
    assert tasks["agreement"]["label"] == "Accept our data processing and financial agreement"
    assert all(t["done"] for name, t in tasks.items() if name != "agreement")
    early = call(api_url, "POST", f"{base}/go-live-request", {"requested_by": manager})
    assert refusal(early, 400) == "Some of the tasks on this page are incomplete"

    accepted = admin(
        api_url,
        "POST",
        f"/organisations/{department['id']}/agreement",
        {"user_id": manager, "version": "3.6", "name": "Ann Example", "role": "Head of Digital"},
    )
    assert accepted["agreement_signed"] is True
    assert (accepted["agreement_signed_version"], accepted["agreement_signed_role"]) == (
        "3.6",
        "Head of Digital",
    )
    assert accepted["agreement_signed_by"]["name"].startswith("Person ")
    twice = call(
        api_url,
        "POST",
        f"/organisations/{department['id']}/agreement",
        {"user_id": manager, "version": "3.6", "name": "Ann Example", "role": "Head of Digital"},
    )
    assert refusal(twice, 409) == "Your organisation has already accepted the agreement"
    assert call(api_url, "POST", f"{base}/go-live-request", {"requested_by": manager}).status_code == 201

    pending = admin(api_url, "GET", f"/organisations/{department['id']}/go-live-requests")
    assert [r["service_id"] for r in pending] == [service_id]
    approve = f"/organisations/{department['id']}/go-live-requests/{service_id}/approve"
    refused = call(api_url, "POST", approve, {"decided_by": manager})
    assert refusal(refused, 403).startswith("Only platform admins")
    platform_admin = person(api_url, platform_admin=True)
    approved = admin(api_url, "POST", approve, {"decided_by": platform_admin["id"]})
    assert approved["live"] is True
    assert approved["request"] is None
    assert admin(api_url, "GET", f"/services/{service_id}")["live"] is True
    assert admin(api_url, "GET", f"/organisations/{department['id']}/go-live-requests") == []
    assert refusal(call(api_url, "POST", approve, {"decided_by": platform_admin["id"]}), 404).startswith(
        "There is no request to go live"
    )


def test_an_organisation_that_may_approve_its_own_requests_lets_its_team_approve(api_url: str) -> None:
    council = organisation(api_url, "local", can_approve_own_go_live_requests=True)
    service_id, manager = _ready_to_go_live(api_url, council["id"])
    admin(
        api_url,
        "POST",
        f"/organisations/{council['id']}/agreement",
        {"user_id": manager, "version": "3.6", "name": "Ann Example", "role": "Director"},
    )
    admin(api_url, "POST", f"/console/services/{service_id}/go-live-request", {"requested_by": manager})
    approve = f"/organisations/{council['id']}/go-live-requests/{service_id}/approve"
    refusal(call(api_url, "POST", approve, {"decided_by": manager}), 403)  # not in the organisation's team
    admin(api_url, "PUT", f"/organisations/{council['id']}/users/{manager}")
    assert admin(api_url, "POST", approve, {"decided_by": manager})["live"] is True


def test_a_request_made_before_its_service_joined_an_organisation_waits_for_the_agreement(
    api_url: str,
) -> None:
    department = organisation(api_url)
    service_id, manager = _ready_to_go_live(api_url, department["id"])
    admin(api_url, "DELETE", f"/organisations/{department['id']}/services/{service_id}")
    admin(api_url, "POST", f"/console/services/{service_id}/go-live-request", {"requested_by": manager})
    admin(api_url, "PUT", f"/organisations/{department['id']}/services/{service_id}")
    platform_admin = person(api_url, platform_admin=True)
    approve = f"/organisations/{department['id']}/go-live-requests/{service_id}/approve"
    refused = call(api_url, "POST", approve, {"decided_by": platform_admin["id"]})
    assert (
        refusal(refused, 400)
        == "The organisation has not accepted the data processing and financial agreement"
    )
    assert admin(api_url, "GET", f"/services/{service_id}")["live"] is False


def test_organisation_usage_sums_its_services_each_with_the_allowance_of_the_organisations_type(
    db: Any, api_url: str
) -> None:
    council = organisation(api_url, "local")  # 10,000 free fragments a service in 2025-26
    first, second = make_sandbox(api_url), make_sandbox(api_url)
    for sandbox in (first, second):
        admin(api_url, "PUT", f"/organisations/{council['id']}/services/{sandbox.service_id}")

    def fact(sandbox: Any, day: date, kind: str, units: int, sent: int) -> dict[str, Any]:
        return {
            "bst_date": day,
            "template_id": sandbox.templates[kind],
            "service_id": sandbox.service_id,
            "notification_type": kind,
            "provider": "mmg" if kind == "sms" else "",
            "rate_multiplier": 1,
            "international": False,
            "postage": "",
            "billable_units": units,
            "notifications_sent": sent,
        }

    with db.begin() as conn:
        conn.execute(
            insert(ft_billing),
            [
                fact(first, date(2025, 5, 1), "sms", 12_000, 12_000),  # 2,000 over its allowance
                fact(second, date(2025, 5, 1), "sms", 4_000, 4_000),  # within its own
                fact(second, date(2025, 6, 1), "email", 7, 7),
                fact(first, date(2026, 5, 1), "sms", 500, 500),  # the next financial year
            ],
        )
    found = admin(api_url, "GET", f"/organisations/{council['id']}/usage?year=2025")
    assert found["free_sms_allowance_per_service"] == 10_000
    by_service = {s["service_id"]: s for s in found["services"]}
    assert by_service[first.service_id]["sms"]["charged"] == 2_000
    assert by_service[second.service_id]["sms"]["charged"] == 0
    assert found["totals"]["sms_fragments"] == 16_000
    assert found["totals"]["sms_charged"] == 2_000  # not 0: one service's allowance never covers another
    assert found["totals"]["sms_cost"] == round(2_000 * 0.0227, 2)
    assert found["totals"]["emails"] == 7
    service_bill = admin(api_url, "GET", f"/console/services/{first.service_id}/billing?year=2025")
    assert service_bill["sms"]["free_allowance"] == 10_000
    assert service_bill["sms"]["charged"] == 2_000
    later = admin(api_url, "GET", f"/organisations/{council['id']}/usage?year=2026")
    assert later["totals"]["sms_fragments"] == 500
    assert later["totals"]["sms_charged"] == 0


def test_notify_admin_creates_and_lists_organisations_and_adds_domains_and_services(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], api_url: str
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", env.DATABASE_URL)

    def run(*argv: str) -> Any:
        assert main(["organisations", *argv]) == 0
        out = capsys.readouterr().out.strip()
        return json.loads(out) if out.startswith("[") else out

    stamp = secrets.token_hex(4)
    organisation_id = run("create", "--name", f"CLI council {stamp}", "--type", "local")
    assert {"id": organisation_id, "name": f"CLI council {stamp}", "type": "local", "services": 0} in run(
        "list"
    )
    assert run("add-domain", "--organisation-id", organisation_id, "--domain", f"CLI-{stamp}.gov.uk") == [
        f"cli-{stamp}.gov.uk"
    ]
    assert main(["organisations", "add-domain", "--organisation-id", organisation_id, "--domain", "x"]) == 1
    assert "Enter a domain like example.gov.uk" in capsys.readouterr().err
    service_id = make_sandbox(api_url).service_id
    assert run("add-service", "--organisation-id", organisation_id, "--service-id", service_id) == [
        service_id
    ]
    with pytest.raises(SystemExit):
        main(["organisations", "create", "--name", "x", "--type", "council"])
