"""Template folders and copying in the console: the pure folder arithmetic (paths, contents, places
to move to, copy names), and the pages against a small in-memory admin API: list with breadcrumbs,
new folder, rename, delete only when empty (with the "Are you sure…?" banner), moving, a template
made inside a folder, and copying a template from another of the person's services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console import folders
from notify_admin_console.app import create_app
from notify_admin_console.settings import ConsoleSettings
from tests.unit.admin_console.test_permissions import CSRF, OTHER, SECRET, SERVICE, person, signed_in

LISTING: dict[str, Any] = {
    "folders": [
        {"id": "a", "name": "Appointments", "parent_id": None},
        {"id": "b", "name": "Bookings", "parent_id": "a"},
        {"id": "c", "name": "Cancellations", "parent_id": "b"},
        {"id": "z", "name": "zebra", "parent_id": None},
    ],
    "placements": {"t2": "a", "t3": "c", "gone": "nowhere"},
}
TEMPLATES = [
    {"id": "t1", "name": "Top", "template_type": "sms"},
    {"id": "t2", "name": "In A", "template_type": "email"},
    {"id": "t3", "name": "Deep", "template_type": "sms"},
]


def test_the_path_to_a_folder_runs_from_the_top_down() -> None:
    assert [f["name"] for f in folders.path_to(LISTING, "c")] == ["Appointments", "Bookings", "Cancellations"]
    assert folders.path_to(LISTING, None) == []
    assert folders.path_to(LISTING, "unknown") == []


def test_a_folder_shows_what_is_directly_inside_it_and_counts_everything_below() -> None:
    top = folders.contents(LISTING, TEMPLATES, None)
    assert [f["name"] for f in top["folders"]] == ["Appointments", "zebra"]
    assert [t["id"] for t in top["templates"]] == ["t1"]
    appointments = top["folders"][0]
    assert (appointments["template_count"], appointments["folder_count"]) == (2, 2)
    inside = folders.contents(LISTING, TEMPLATES, "a")
    assert [f["id"] for f in inside["folders"]] == ["b"]
    assert [t["id"] for t in inside["templates"]] == ["t2"]


def test_a_template_placed_in_a_folder_that_no_longer_exists_is_at_the_top() -> None:
    assert folders.folder_of(LISTING, "gone") is None
    assert folders.folder_of(LISTING, "t3") == "c"


def test_things_can_move_to_the_top_or_any_folder_named_by_its_path() -> None:
    assert folders.destinations(LISTING) == [
        ("", "Templates"),
        ("a", "Appointments"),
        ("b", "Appointments / Bookings"),
        ("c", "Appointments / Bookings / Cancellations"),
        ("z", "zebra"),
    ]
    assert folders.descendants(LISTING, "a") == {"b", "c"}


@pytest.mark.parametrize(
    ("taken", "name"),
    [
        (set(), "Reminder (copy)"),
        ({"Reminder (copy)"}, "Reminder (copy 2)"),
        ({"Reminder (copy)", "Reminder (copy 2)"}, "Reminder (copy 3)"),
    ],
)
def test_a_copy_is_named_as_notify_names_it(taken: set[str], name: str) -> None:
    assert folders.copy_name("Reminder", taken) == name


# ---- the pages, against an in-memory admin API -------------------------------------------------


class FakeAdminApi:
    def __init__(self) -> None:
        self.folders: dict[str, dict[str, Any]] = {}
        self.placements: dict[str, str] = {}
        self.templates: dict[str, list[dict[str, Any]]] = {
            SERVICE: [
                {"id": "t1", "name": "Reminder", "template_type": "sms", "content": "Hi", "subject": None}
            ],
            OTHER: [
                {
                    "id": "o1",
                    "name": "Welcome",
                    "template_type": "email",
                    "content": "Welcome ((name))",
                    "subject": "Hello",
                }
            ],
        }
        self.created: list[dict[str, Any]] = []
        self.user = person("editor", ["manage_templates", "view_activity", "send_messages"])
        self.user["services"].append(
            {"id": OTHER, "name": "Other service", "live": True, "active": True, "permissions": []}
        )

    def listing(self) -> dict[str, Any]:
        return {"folders": list(self.folders.values()), "placements": dict(self.placements)}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else {}
        base = f"/admin/console/services/{SERVICE}"
        if path.startswith("/admin/console/users/"):
            return self.ok(self.user)
        if path == f"/admin/services/{SERVICE}":
            return self.ok({"id": SERVICE, "name": "Test", "live": True, "prefix_sms": False})
        for service_id, found in self.templates.items():
            if path == f"/admin/console/services/{service_id}/templates":
                return self.ok(found)
            for t in found:
                if path == f"/admin/console/services/{service_id}/templates/{t['id']}":
                    return self.ok(t)
        if path == f"/admin/services/{SERVICE}/templates" and method == "POST":
            made = {**body, "id": f"new{len(self.created)}"}
            self.created.append(made)
            return self.ok(made, 201)
        if path == f"{base}/template-folders" and method == "GET":
            return self.ok(self.listing())
        if path == f"{base}/template-folders" and method == "POST":
            made = {"id": f"f{len(self.folders) + 1}", "name": body["name"], "parent_id": body["parent_id"]}
            self.folders[made["id"]] = made
            return self.ok(made, 201)
        if path == f"{base}/template-folders/contents":
            for t in body["templates"]:
                if body["target_folder_id"] is None:
                    self.placements.pop(t, None)
                else:
                    self.placements[t] = body["target_folder_id"]
            for f in body.get("folders", []):
                self.folders[f]["parent_id"] = body["target_folder_id"]
            return self.ok(self.listing())
        if path.startswith(f"{base}/template-folders/"):
            folder_id = path.rsplit("/", 1)[1]
            if method == "PATCH":
                self.folders[folder_id]["name"] = body["name"]
                return self.ok(self.folders[folder_id])
            if method == "DELETE":
                if folder_id in self.placements.values() or any(
                    f["parent_id"] == folder_id for f in self.folders.values()
                ):
                    return self.error(400, "You must empty this folder before you can delete it")
                return self.ok(self.folders.pop(folder_id))
        return self.error(404, "Not found")

    @staticmethod
    def ok(data: Any, status: int = 200) -> httpx.Response:
        return httpx.Response(status, json={"data": data})

    @staticmethod
    def error(status: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"errors": [{"error": "AdminError", "message": message}]})


@pytest.fixture
def fake() -> FakeAdminApi:
    return FakeAdminApi()


@pytest.fixture
def client(fake: FakeAdminApi) -> Iterator[TestClient]:
    settings = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET))
    app = create_app(settings, httpx.AsyncClient(transport=httpx.MockTransport(fake), base_url="http://gw"))
    with TestClient(app, follow_redirects=False) as test_client:
        for name, value in signed_in("editor").items():
            test_client.cookies.set(name, value)
        yield test_client


TEMPLATES_URL = f"/services/{SERVICE}/templates"


def test_a_new_folder_appears_in_the_list_and_a_nested_one_inside_it(
    client: TestClient, fake: FakeAdminApi
) -> None:
    form = client.get(f"{TEMPLATES_URL}/folders/new")
    assert form.status_code == 200
    assert "New folder" in form.text
    made = client.post(f"{TEMPLATES_URL}/folders/new", data={"csrf_token": CSRF, "name": "Appointments"})
    assert made.status_code == 303
    assert made.headers["location"] == TEMPLATES_URL
    top = client.get(TEMPLATES_URL).text
    assert f'href="{TEMPLATES_URL}/folders/f1"' in top
    assert "‘Appointments’ was created" in top

    nested = client.post(
        f"{TEMPLATES_URL}/folders/new", data={"csrf_token": CSRF, "name": "Reminders", "parent_id": "f1"}
    )
    assert nested.headers["location"] == f"{TEMPLATES_URL}/folders/f1"
    inner = client.get(f"{TEMPLATES_URL}/folders/f2").text
    assert '<a class="govuk-breadcrumbs__link" href="/services/' in inner
    assert ">Appointments</a>" in inner
    assert '<h1 class="govuk-heading-l">Reminders</h1>' in inner
    assert "This folder is empty." in inner


def test_a_folder_needs_a_name(client: TestClient) -> None:
    refused = client.post(f"{TEMPLATES_URL}/folders/new", data={"csrf_token": CSRF, "name": " "})
    assert refused.status_code == 400
    assert "Enter a folder name" in refused.text
    assert "<title>Error: New folder" in refused.text


def test_an_unknown_folder_is_not_found(client: TestClient) -> None:
    assert client.get(f"{TEMPLATES_URL}/folders/nope").status_code == 404


def test_renaming_a_folder(client: TestClient, fake: FakeAdminApi) -> None:
    fake.folders["f1"] = {"id": "f1", "name": "Old", "parent_id": None}
    assert 'value="Old"' in client.get(f"{TEMPLATES_URL}/folders/f1/manage").text
    saved = client.post(f"{TEMPLATES_URL}/folders/f1/manage", data={"csrf_token": CSRF, "name": "New name"})
    assert saved.headers["location"] == f"{TEMPLATES_URL}/folders/f1"
    assert fake.folders["f1"]["name"] == "New name"


def test_a_folder_with_something_in_it_cannot_be_deleted(client: TestClient, fake: FakeAdminApi) -> None:
    fake.folders["f1"] = {"id": "f1", "name": "Full", "parent_id": None}
    fake.placements["t1"] = "f1"
    page = client.get(f"{TEMPLATES_URL}/folders/f1/delete").text
    assert "You must empty this folder before you can delete it" in page
    assert "Yes, delete" not in page
    refused = client.post(f"{TEMPLATES_URL}/folders/f1/delete", data={"csrf_token": CSRF})
    assert refused.headers["location"] == f"{TEMPLATES_URL}/folders/f1"
    assert "f1" in fake.folders


def test_an_empty_folder_is_deleted_after_confirmation(client: TestClient, fake: FakeAdminApi) -> None:
    fake.folders["f1"] = {"id": "f1", "name": "Parent", "parent_id": None}
    fake.folders["f2"] = {"id": "f2", "name": "Empty", "parent_id": "f1"}
    page = client.get(f"{TEMPLATES_URL}/folders/f2/delete").text
    assert "Are you sure you want to delete the folder ‘Empty’?" in page
    deleted = client.post(f"{TEMPLATES_URL}/folders/f2/delete", data={"csrf_token": CSRF})
    assert deleted.headers["location"] == f"{TEMPLATES_URL}/folders/f1"
    assert "f2" not in fake.folders
    assert "‘Empty’ was deleted" in client.get(f"{TEMPLATES_URL}/folders/f1").text


def test_moving_needs_something_chosen(client: TestClient) -> None:
    moved = client.post(f"{TEMPLATES_URL}/move-to-folder", data={"csrf_token": CSRF, "target": ""})
    assert moved.headers["location"] == TEMPLATES_URL
    assert "Select at least one template or folder" in client.get(TEMPLATES_URL).text


def test_templates_and_folders_move_into_a_folder(client: TestClient, fake: FakeAdminApi) -> None:
    fake.folders["f1"] = {"id": "f1", "name": "Target", "parent_id": None}
    fake.folders["f2"] = {"id": "f2", "name": "Loose", "parent_id": None}
    top = client.get(TEMPLATES_URL).text
    assert '<option value="f1">Target</option>' in top
    moved = client.post(
        f"{TEMPLATES_URL}/move-to-folder",
        data={"csrf_token": CSRF, "target": "f1", "templates": ["t1"], "folders": ["f2"]},
    )
    assert moved.headers["location"] == f"{TEMPLATES_URL}/folders/f1"
    assert fake.placements == {"t1": "f1"}
    assert fake.folders["f2"]["parent_id"] == "f1"
    assert "2 items moved to ‘Target’" in client.get(f"{TEMPLATES_URL}/folders/f1").text


def test_a_template_made_inside_a_folder_is_placed_there(client: TestClient, fake: FakeAdminApi) -> None:
    fake.folders["f1"] = {"id": "f1", "name": "Target", "parent_id": None}
    assert 'name="folder_id" value="f1"' in client.get(f"{TEMPLATES_URL}/add?type=sms&folder_id=f1").text
    made = client.post(
        f"{TEMPLATES_URL}/add",
        data={
            "csrf_token": CSRF,
            "template_type": "sms",
            "name": "Inside",
            "content": "Hi",
            "folder_id": "f1",
        },
    )
    assert made.status_code == 303
    assert fake.placements == {"new0": "f1"}


def test_the_new_template_choice_offers_copying(client: TestClient) -> None:
    assert "Copy an existing template" in client.get(f"{TEMPLATES_URL}/add").text
    chosen = client.get(f"{TEMPLATES_URL}/add?type=copy&folder_id=f1")
    assert chosen.headers["location"] == f"{TEMPLATES_URL}/copy?folder_id=f1"


def test_copying_lists_templates_of_every_service_the_person_belongs_to(client: TestClient) -> None:
    page = client.get(f"{TEMPLATES_URL}/copy").text
    assert "Other service" in page
    assert f"{TEMPLATES_URL}/copy/o1?from_service={OTHER}" in page
    assert f"{TEMPLATES_URL}/copy/t1?from_service={SERVICE}" in page


def test_a_copy_is_prefilled_with_the_name_and_content(client: TestClient, fake: FakeAdminApi) -> None:
    fake.templates[SERVICE].append(
        {"id": "t9", "name": "Welcome (copy)", "template_type": "email", "content": "x", "subject": "y"}
    )
    page = client.get(f"{TEMPLATES_URL}/copy/o1?from_service={OTHER}").text
    assert 'value="Welcome (copy 2)"' in page
    assert 'value="Hello"' in page
    assert "Welcome ((name))</textarea>" in page
    assert f'action="{TEMPLATES_URL}/add"' in page


def test_templates_of_a_service_the_person_is_not_in_cannot_be_copied(client: TestClient) -> None:
    refused = client.get(f"{TEMPLATES_URL}/copy/x1?from_service=6a9c1d0e-0000-4000-8000-000000000099")
    assert refused.status_code == 403


def test_a_template_page_shows_the_folder_path(client: TestClient, fake: FakeAdminApi) -> None:
    fake.folders["f1"] = {"id": "f1", "name": "Target", "parent_id": None}
    fake.placements["t1"] = "f1"
    page = client.get(f"{TEMPLATES_URL}/t1").text
    assert f'href="{TEMPLATES_URL}/folders/f1">Target</a>' in page
