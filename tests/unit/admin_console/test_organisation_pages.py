"""The console's organisation pages and ``/add-service`` against a fake admin API (httpx's
MockTransport): who may see an organisation's pages, what the forms refuse before calling the
platform, and the calls they make."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from notify_admin_api.console_integration import bill
from tests.unit.admin_console.fake_gateway import console_client, ok, refused
from tests.unit.admin_console.test_permissions import CSRF, SERVICE, person, signed_in

ORG = "0a7e6a4e-0000-4000-8000-0000000000aa"
OTHER_ORG = "0a7e6a4e-0000-4000-8000-0000000000bb"
USERS = {
    "member": person("member", []),
    "org-reader": person("org-reader", None),  # in the organisation's team, in none of its services
    "outsider": person("outsider", []),
    "manager": person("manager", ["manage_service"]),
    "platform-admin": {**person("platform-admin", []), "platform_admin": True},
}


class FakeAdmin:
    """The admin API as the pages see it; records every call that changes something."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.can_approve = False
        self.signed = False

    def organisation(self) -> dict[str, Any]:
        return {
            "id": ORG,
            "name": "Department of Tests",
            "organisation_type": "central",
            "organisation_type_label": "Central government",
            "agreement_signed": self.signed,
            "can_approve_own_go_live_requests": self.can_approve,
            "domains": ["tests.gov.uk"],
            "services": [{"id": SERVICE, "name": "Test", "live": False, "active": True}],
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body: Any = json.loads(request.content) if request.content else None
        if method != "GET":
            self.calls.append((method, path, body))
        if path.endswith("/organisations") and path.startswith("/admin/console/users/"):
            return ok([self.organisation()] if path.split("/")[4] in ("member", "org-reader") else [])
        if path.endswith("/add-service-choices"):
            return ok({"organisations": [{"id": ORG, "name": "Department of Tests"}], "default": ORG})
        if path.startswith("/admin/console/users/"):
            found = USERS.get(path.rsplit("/", 1)[1])
            return ok(found) if found else refused(404, "Not found")
        if path == "/admin/console/add-service":
            if body["name"] == "Taken":
                return refused(409, "A service called Taken already exists")
            return ok({"service_id": SERVICE, "organisation_id": body["organisation_id"]}, 201)
        if path == f"/admin/services/{SERVICE}":
            return ok({"id": SERVICE, "name": "Test", "live": False, "organisation_id": ORG})
        if path == f"/admin/organisations/{ORG}":
            return ok(self.organisation())
        if path == "/admin/organisations/not-an-id":
            return refused(400, "Invalid identifier or value")
        if path == f"/admin/organisations/{ORG}/users":
            return ok([{"id": "member", "name": "Test Person", "email_address": "member@example.gov.uk"}])
        if path == f"/admin/console/services/{SERVICE}/billing":
            return ok(bill(2026, [], {"sms_fragment": 0.024, "free_sms_fragments": 20_000, "letter": {}}))
        if path == f"/admin/services/{SERVICE}/annual-limits":
            return ok({})  # the usage page shows no limits table without them
        if path == f"/admin/console/services/{SERVICE}/users":
            return ok({"users": [], "invites": []})
        if path.endswith("/usage"):
            return ok({"year": 2026, "services": [], "free_sms_allowance_per_service": 20_000, "totals": {}})
        if path.endswith("/go-live-requests"):
            return ok([{"service_id": SERVICE, "service_name": "Test", "created_at": "2026-11-22T09:05:00Z"}])
        if path.endswith("/agreement") or path.endswith("/approve"):
            return ok(self.organisation())
        return refused(404, "Not found")


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def client(fake: FakeAdmin) -> Iterator[TestClient]:
    with console_client(fake) as test_client:
        yield test_client


def as_user(client: TestClient, user_id: str) -> TestClient:
    client.cookies.clear()
    for name, value in signed_in(user_id).items():
        client.cookies.set(name, value)
    return client


def test_an_organisations_pages_are_for_its_team_and_platform_admins_only(client: TestClient) -> None:
    for path in ("", "/users", "/agreement"):
        assert as_user(client, "outsider").get(f"/organisations/{ORG}{path}").status_code == 403
        assert as_user(client, "member").get(f"/organisations/{ORG}{path}").status_code == 200
        assert as_user(client, "platform-admin").get(f"/organisations/{ORG}{path}").status_code == 200
    assert as_user(client, "outsider").get(f"/organisations/{OTHER_ORG}").status_code == 403
    assert as_user(client, "member").get(f"/organisations/{ORG}/settings").status_code == 403
    assert as_user(client, "platform-admin").get(f"/organisations/{ORG}/settings").status_code == 200
    assert as_user(client, "member").get("/organisations/add").status_code == 403
    assert as_user(client, "platform-admin").get("/organisations/not-an-id").status_code == 404


def test_a_member_approves_only_when_the_organisation_allows_it(client: TestClient, fake: FakeAdmin) -> None:
    fake.signed = True
    approve = f"/organisations/{ORG}/go-live-requests/{SERVICE}/approve"
    page = as_user(client, "member").get(f"/organisations/{ORG}")
    assert "Approve" not in page.text
    assert as_user(client, "member").post(approve, data={"csrf_token": CSRF}).status_code == 403
    assert not [c for c in fake.calls if c[1].endswith("/approve")]

    fake.can_approve = True
    assert "Approve<span" in as_user(client, "member").get(f"/organisations/{ORG}").text
    answer = as_user(client, "member").post(approve, data={"csrf_token": CSRF})
    assert answer.status_code == 303
    assert (
        "POST",
        f"/admin/organisations/{ORG}/go-live-requests/{SERVICE}/approve",
        {"decided_by": "member"},
    ) in (fake.calls)


def test_the_agreement_needs_a_version_a_name_a_role_and_the_confirmation(
    client: TestClient, fake: FakeAdmin
) -> None:
    answer = as_user(client, "member").post(
        f"/organisations/{ORG}/agreement", data={"csrf_token": CSRF, "version": "3.6", "name": "Ann"}
    )
    assert answer.status_code == 400
    assert "Enter your role" in answer.text
    assert "Confirm that you have the authority to accept the agreement" in answer.text
    assert fake.calls == []
    answer = as_user(client, "member").post(
        f"/organisations/{ORG}/agreement",
        data={"csrf_token": CSRF, "version": "3.6", "name": "Ann", "role": "Director", "confirm": "yes"},
    )
    assert answer.status_code == 303
    assert fake.calls == [
        (
            "POST",
            f"/admin/organisations/{ORG}/agreement",
            {"user_id": "member", "version": "3.6", "name": "Ann", "role": "Director"},
        )
    ]


def test_a_service_manager_accepts_the_agreement_on_the_way_to_going_live(
    client: TestClient, fake: FakeAdmin
) -> None:
    assert (
        "Accept our data processing" in as_user(client, "manager").get(f"/services/{SERVICE}/agreement").text
    )
    answer = as_user(client, "manager").post(
        f"/services/{SERVICE}/agreement",
        data={"csrf_token": CSRF, "version": "3.6", "name": "Bo", "role": "Manager", "confirm": "yes"},
    )
    assert answer.headers["location"] == f"/services/{SERVICE}/go-live"
    assert fake.calls[0][1] == f"/admin/organisations/{ORG}/agreement"


def test_add_service_offers_the_domains_organisation_first_and_creates_the_service(
    client: TestClient, fake: FakeAdmin
) -> None:
    form = as_user(client, "outsider").get("/add-service")
    assert form.status_code == 200
    assert f'value="{ORG}" checked' in form.text
    empty = as_user(client, "outsider").post("/add-service", data={"csrf_token": CSRF, "name": " "})
    assert empty.status_code == 400
    assert "Enter a service name" in empty.text
    taken = as_user(client, "outsider").post("/add-service", data={"csrf_token": CSRF, "name": "Taken"})
    assert "This service name is already in use" in taken.text

    made = as_user(client, "outsider").post(
        "/add-service", data={"csrf_token": CSRF, "name": "Parking", "organisation_id": ORG}
    )
    assert made.headers["location"] == f"/services/{SERVICE}"
    alone = as_user(client, "outsider").post(
        "/add-service", data={"csrf_token": CSRF, "name": "Alone", "organisation_id": "none"}
    )
    assert alone.status_code == 303
    sent = [c[2] for c in fake.calls if c[1] == "/admin/console/add-service"]
    assert sent[-2:] == [
        {"name": "Parking", "user_id": "outsider", "organisation_id": ORG, "no_organisation": False},
        {"name": "Alone", "user_id": "outsider", "organisation_id": None, "no_organisation": True},
    ]


def test_the_organisations_team_reads_its_services_usage_and_team_and_changes_nothing(
    client: TestClient, fake: FakeAdmin
) -> None:
    reader = as_user(client, "org-reader")
    assert reader.get(f"/services/{SERVICE}/usage").status_code == 200
    assert reader.get(f"/services/{SERVICE}/users").status_code == 200
    assert reader.get(f"/services/{SERVICE}/settings").status_code == 403
    assert reader.get(f"/services/{SERVICE}/api-keys").status_code == 403
    assert reader.post(f"/services/{SERVICE}/users/invite", data={"csrf_token": CSRF}).status_code == 403
    assert as_user(client, "outsider").get(f"/services/{SERVICE}/usage").status_code == 403


def test_only_a_platform_admin_archives_an_organisation(client: TestClient, fake: FakeAdmin) -> None:
    archive = f"/organisations/{ORG}/settings/archive"
    assert as_user(client, "member").post(archive, data={"csrf_token": CSRF}).status_code == 403
    assert fake.calls == []
    answer = as_user(client, "platform-admin").post(archive, data={"csrf_token": CSRF})
    assert answer.headers["location"] == "/organisations"
    assert fake.calls == [("PATCH", f"/admin/organisations/{ORG}", {"archived": True})]
