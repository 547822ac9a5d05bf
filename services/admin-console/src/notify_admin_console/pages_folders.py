"""Template folders: the templates list of one folder with its breadcrumbs, a search by name and
filters by type, a new folder (at the top or inside another), renaming, deleting an empty folder
after an "Are you sure…?" banner, and moving the chosen templates and folders into a folder or back
to the top.

The search and the type filter are a GET form and links (``?search=&type=``), so they work without
JavaScript; template and folder names are not personal data. As in Notify, a search looks inside the
folders below the one shown too, and each result below it shows the folders it is in; a type filter
shows that type's templates here and the folders holding any (at any depth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from notify_admin_console import folders
from notify_admin_console.api import AdminApiError
from notify_admin_console.security import member, rule
from notify_admin_console.web import api, flash, form, page, redirect

router = APIRouter(prefix="/services/{service_id}")
TYPES = {"sms": "Text message", "email": "Email", "letter": "Letter"}


def _base(service_id: str) -> str:
    return f"/services/{service_id}/templates"


def folder_url(service_id: str, folder_id: str | None) -> str:
    return f"{_base(service_id)}/folders/{folder_id}" if folder_id else _base(service_id)


async def folder_listing(request: Request, service_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api(request).get(f"/admin/console/services/{service_id}/template-folders")
    return found


async def _existing(
    request: Request, service_id: str, folder_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    listing = await folder_listing(request, service_id)
    found = folders.by_id(listing).get(folder_id)
    if found is None:
        raise HTTPException(404)
    return listing, found


SEARCH_FROM = 8  # Notify shows the search box from 8 templates and folders
MAX_SEARCH = 255


def search_and_filter(
    listing: dict[str, Any],
    templates: list[dict[str, Any]],
    folder_id: str | None,
    search: str = "",
    template_type: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """What the list shows in ``folder_id`` (``None``: the top) for a search by name (any case, at
    any depth below the folder; each hit with ``ancestors``, the folders between) and a type."""
    of_type = [t for t in templates if template_type in (None, t["template_type"])]
    shown = folders.contents(listing, of_type, folder_id)
    if template_type is not None:
        shown["folders"] = [f for f in shown["folders"] if f["template_count"]]
    wanted = search.casefold().strip()
    if not wanted:
        return {
            "folders": shown["folders"],
            "templates": [{**t, "ancestors": []} for t in shown["templates"]],
        }
    everything = folders.by_id(listing)
    below = folders.descendants(listing, folder_id) if folder_id is not None else set(everything)
    depth = len(folders.path_to(listing, folder_id))

    def ancestors(parent: str | None) -> list[dict[str, Any]]:
        return folders.path_to(listing, parent)[depth:] if parent is not None else []

    found_folders = []
    for f in sorted((everything[i] for i in below), key=lambda f: folders.label(listing, f["id"]).lower()):
        if wanted not in f["name"].casefold():
            continue
        inside = folders.descendants(listing, f["id"]) | {f["id"]}
        count = sum(1 for t in of_type if folders.folder_of(listing, t["id"]) in inside)
        if template_type is not None and not count:
            continue
        found_folders.append(
            {
                **f,
                "folder_count": len(inside) - 1,
                "template_count": count,
                "ancestors": ancestors(f["parent_id"]),
            }
        )
    found_templates = []
    for t in of_type:
        where = folders.folder_of(listing, t["id"])
        if wanted in t["name"].casefold() and (where == folder_id or where in below):
            found_templates.append({**t, "ancestors": ancestors(where)})
    found_templates.sort(key=lambda t: ([a["name"].lower() for a in t["ancestors"]], t["name"].lower()))
    return {"folders": found_folders, "templates": found_templates}


async def listing_page(
    request: Request, service_id: str, folder_id: str | None, **extra: Any
) -> HTMLResponse:
    """The templates list at the top (``folder_id`` None) or inside one folder, searched by
    ``?search=`` and filtered by ``?type=`` (sms, email or letter)."""
    listing = await folder_listing(request, service_id)
    if folder_id is not None and folder_id not in folders.by_id(listing):
        raise HTTPException(404)
    templates = await api(request).get(f"/admin/console/services/{service_id}/templates")
    search = request.query_params.get("search", "").strip()[:MAX_SEARCH]
    chosen_type = request.query_params.get("type")
    template_type = chosen_type if chosen_type in TYPES else None
    shown = search_and_filter(listing, templates, folder_id, search, template_type)
    kinds = {t["template_type"] for t in templates}
    return await page(
        request,
        "templates.html",
        templates=shown["templates"],
        folders=shown["folders"],
        path=folders.path_to(listing, folder_id),
        folder_id=folder_id,
        destinations=folders.destinations(listing),
        any_templates=bool(templates),
        types=TYPES,
        search=search,
        template_type=template_type,
        show_filters=len(kinds) > 1 and len(templates) > 2,
        show_search=bool(search) or len(templates) + len(listing.get("folders", [])) >= SEARCH_FROM,
        **extra,
    )


@router.get("/templates/folders/new", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def new_folder(request: Request, service_id: str, parent_id: str | None = None) -> HTMLResponse:
    listing = await folder_listing(request, service_id)
    parent = folders.by_id(listing).get(parent_id or "")
    return await page(request, "folder_form.html", folder=None, parent=parent, values={"name": ""}, errors={})


@router.post("/templates/folders/new", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def new_folder_post(request: Request, service_id: str) -> Any:
    values = await form(request)
    parent_id = values.get("parent_id") or None
    errors: dict[str, str] = {}
    if not values.get("name"):
        errors["name"] = "Enter a folder name"
    elif len(values["name"]) > 255:
        errors["name"] = "Folder name must be 255 characters or fewer"
    else:
        try:
            await api(request).post(
                f"/admin/console/services/{service_id}/template-folders",
                {"name": values["name"], "parent_id": parent_id},
            )
        except AdminApiError as exc:
            if exc.status_code >= 500 or exc.status_code == 404:
                raise
            errors["name"] = exc.message
        else:
            flash(request, f"‘{values['name']}’ was created")
            return redirect(folder_url(service_id, parent_id))
    listing = await folder_listing(request, service_id)
    parent = folders.by_id(listing).get(parent_id or "")
    return await page(
        request, "folder_form.html", status_code=400, folder=None, parent=parent, values=values, errors=errors
    )


@router.get("/templates/folders/{folder_id}", response_class=HTMLResponse)
@rule(member())
async def folder(request: Request, service_id: str, folder_id: str) -> HTMLResponse:
    return await listing_page(request, service_id, folder_id)


@router.get("/templates/folders/{folder_id}/manage", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def rename_folder(request: Request, service_id: str, folder_id: str) -> HTMLResponse:
    listing, found = await _existing(request, service_id, folder_id)
    parent = folders.by_id(listing).get(found["parent_id"] or "")
    return await page(
        request, "folder_form.html", folder=found, parent=parent, values={"name": found["name"]}, errors={}
    )


@router.post("/templates/folders/{folder_id}/manage", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def rename_folder_post(request: Request, service_id: str, folder_id: str) -> Any:
    listing, found = await _existing(request, service_id, folder_id)
    values = await form(request)
    errors: dict[str, str] = {}
    if not values.get("name"):
        errors["name"] = "Enter a folder name"
    elif len(values["name"]) > 255:
        errors["name"] = "Folder name must be 255 characters or fewer"
    else:
        await api(request).call(
            "PATCH",
            f"/admin/console/services/{service_id}/template-folders/{folder_id}",
            json={"name": values["name"]},
        )
        flash(request, "Your changes were saved")
        return redirect(folder_url(service_id, folder_id))
    parent = folders.by_id(listing).get(found["parent_id"] or "")
    return await page(
        request,
        "folder_form.html",
        status_code=400,
        folder=found,
        parent=parent,
        values=values,
        errors=errors,
    )


@router.get("/templates/folders/{folder_id}/delete", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def delete_folder(request: Request, service_id: str, folder_id: str) -> HTMLResponse:
    listing, found = await _existing(request, service_id, folder_id)
    templates = await api(request).get(f"/admin/console/services/{service_id}/templates")
    shown = folders.contents(listing, templates, folder_id)
    if shown["folders"] or shown["templates"]:
        flash(request, "You must empty this folder before you can delete it", "error")
        return await listing_page(request, service_id, folder_id)
    return await listing_page(request, service_id, folder_id, confirm_delete=found)


@router.post("/templates/folders/{folder_id}/delete", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def delete_folder_post(request: Request, service_id: str, folder_id: str) -> Any:
    _listing, found = await _existing(request, service_id, folder_id)
    try:
        await api(request).call(
            "DELETE", f"/admin/console/services/{service_id}/template-folders/{folder_id}"
        )
    except AdminApiError as exc:
        if exc.status_code != 400:
            raise
        flash(request, exc.message, "error")
        return redirect(folder_url(service_id, folder_id))
    flash(request, f"‘{found['name']}’ was deleted")
    return redirect(folder_url(service_id, found["parent_id"]))


@router.post("/templates/move-to-folder", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def move(request: Request, service_id: str) -> Any:
    data = await request.form()
    chosen_templates = [v for v in data.getlist("templates") if isinstance(v, str)]
    chosen_folders = [v for v in data.getlist("folders") if isinstance(v, str)]
    target = data.get("target")
    target_id = target if isinstance(target, str) and target else None
    back = data.get("folder_id")
    back_url = folder_url(service_id, back if isinstance(back, str) and back else None)
    if not chosen_templates and not chosen_folders:
        flash(request, "Select at least one template or folder", "error")
        return redirect(back_url)
    try:
        listing = await api(request).post(
            f"/admin/console/services/{service_id}/template-folders/contents",
            {"target_folder_id": target_id, "templates": chosen_templates, "folders": chosen_folders},
        )
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        flash(request, exc.message, "error")
        return redirect(back_url)
    moved = len(chosen_templates) + len(chosen_folders)
    where = folders.label(listing, target_id) if target_id else "Templates"
    flash(request, f"{moved} item{'s' if moved != 1 else ''} moved to ‘{where}’")
    return redirect(folder_url(service_id, target_id))
