"""Template folders through the admin API against PostgreSQL: nested folders, renaming, moving
templates and folders (never a folder into itself or below itself), deleting only an empty folder,
and one service never reaching another's folders."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, make_sandbox


def call(sandbox: Sandbox, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )


def folder(sandbox: Sandbox, name: str, parent_id: str | None = None) -> str:
    made = call(sandbox, "POST", "/template-folders", {"name": name, "parent_id": parent_id})
    assert made.status_code == 201, made.text
    folder_id: str = made.json()["data"]["id"]
    return folder_id


def listing(sandbox: Sandbox) -> dict[str, Any]:
    found: dict[str, Any] = call(sandbox, "GET", "/template-folders").json()["data"]
    return found


def test_folders_nest_rename_and_hold_templates(sandbox: Sandbox) -> None:
    outer = folder(sandbox, "Appointments")
    inner = folder(sandbox, "Reminders", outer)
    renamed = call(sandbox, "PATCH", f"/template-folders/{inner}", {"name": "  Reminders 2026 "})
    assert renamed.json()["data"]["name"] == "Reminders 2026"

    moved = call(
        sandbox,
        "POST",
        "/template-folders/contents",
        {"target_folder_id": inner, "templates": [sandbox.templates["sms"], sandbox.templates["email"]]},
    )
    assert moved.status_code == 200, moved.text
    found = listing(sandbox)
    assert {f["name"]: f["parent_id"] for f in found["folders"]} == {
        "Appointments": None,
        "Reminders 2026": outer,
    }
    assert found["placements"] == {sandbox.templates["sms"]: inner, sandbox.templates["email"]: inner}

    back = call(
        sandbox,
        "POST",
        "/template-folders/contents",
        {"target_folder_id": None, "templates": [sandbox.templates["email"]]},
    )
    assert back.json()["data"]["placements"] == {sandbox.templates["sms"]: inner}


def test_a_folder_never_moves_into_itself_or_below_itself(sandbox: Sandbox) -> None:
    outer = folder(sandbox, "Outer")
    inner = folder(sandbox, "Inner", outer)
    for target in (outer, inner):
        refused = call(
            sandbox, "POST", "/template-folders/contents", {"target_folder_id": target, "folders": [outer]}
        )
        assert refused.status_code == 400
        assert "You cannot move ‘Outer’ into itself" in refused.text
    to_top = call(
        sandbox, "POST", "/template-folders/contents", {"target_folder_id": None, "folders": [inner]}
    )
    assert {f["id"]: f["parent_id"] for f in to_top.json()["data"]["folders"]} == {outer: None, inner: None}


def test_only_an_empty_folder_is_deleted(sandbox: Sandbox) -> None:
    outer = folder(sandbox, "Outer")
    inner = folder(sandbox, "Inner", outer)
    call(
        sandbox,
        "POST",
        "/template-folders/contents",
        {"target_folder_id": inner, "templates": [sandbox.templates["sms"]]},
    )

    for full in (outer, inner):
        refused = call(sandbox, "DELETE", f"/template-folders/{full}")
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["message"] == "You must empty this folder before you can delete it"

    # A deleted template does not keep a folder full.
    admin(sandbox.url, "POST", f"/services/{sandbox.service_id}/templates/{sandbox.templates['sms']}/archive")
    assert call(sandbox, "DELETE", f"/template-folders/{inner}").status_code == 200
    assert call(sandbox, "DELETE", f"/template-folders/{outer}").status_code == 200
    assert listing(sandbox) == {"folders": [], "placements": {}}


def test_nothing_chosen_or_a_blank_name_is_refused(sandbox: Sandbox) -> None:
    nothing = call(sandbox, "POST", "/template-folders/contents", {"target_folder_id": None})
    assert nothing.status_code == 400
    assert "Select at least one template or folder" in nothing.text
    assert call(sandbox, "POST", "/template-folders", {"name": "   "}).status_code == 400
    assert call(sandbox, "PATCH", "/template-folders/not-a-uuid", {"name": "x"}).status_code == 400


def test_one_service_never_reaches_another_services_folders_or_templates(
    api_url: str, sandbox: Sandbox
) -> None:
    other = make_sandbox(api_url)
    theirs = folder(other, "Theirs")
    assert call(sandbox, "PATCH", f"/template-folders/{theirs}", {"name": "Mine now"}).status_code == 404
    assert call(sandbox, "DELETE", f"/template-folders/{theirs}").status_code == 404
    assert (
        call(sandbox, "POST", "/template-folders", {"name": "Child", "parent_id": theirs}).status_code == 404
    )
    into_theirs = call(
        sandbox,
        "POST",
        "/template-folders/contents",
        {"target_folder_id": theirs, "templates": [sandbox.templates["sms"]]},
    )
    assert into_theirs.status_code == 404
    mine = folder(sandbox, "Mine")
    their_template = call(
        sandbox,
        "POST",
        "/template-folders/contents",
        {"target_folder_id": mine, "templates": [other.templates["sms"]]},
    )
    assert their_template.status_code == 404
    assert listing(other)["folders"][0]["name"] == "Theirs"


def test_the_folder_routes_need_the_admin_token(sandbox: Sandbox) -> None:
    refused = httpx.get(
        f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}/template-folders", timeout=30
    )
    assert refused.status_code == 401
