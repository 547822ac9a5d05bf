"""Template folders as the pages show them, worked out from what the admin API lists (every folder
of a service with its parent, and which folder each template is in): the path from the top to a
folder, what one folder holds, and the places something can be moved to. Pure: no I/O."""

from __future__ import annotations

from typing import Any

Folder = dict[str, Any]


def by_id(listing: dict[str, Any]) -> dict[str, Folder]:
    return {f["id"]: f for f in listing.get("folders", [])}


def path_to(listing: dict[str, Any], folder_id: str | None) -> list[Folder]:
    """The folders from the top down to ``folder_id`` (itself last); empty at the top."""
    folders = by_id(listing)
    path: list[Folder] = []
    current = folder_id
    while current is not None and current in folders and all(f["id"] != current for f in path):
        path.append(folders[current])
        current = folders[current]["parent_id"]
    return path[::-1]


def folder_of(listing: dict[str, Any], template_id: str) -> str | None:
    found = listing.get("placements", {}).get(template_id)
    return found if isinstance(found, str) and found in by_id(listing) else None


def contents(
    listing: dict[str, Any], templates: list[dict[str, Any]], folder_id: str | None
) -> dict[str, list[dict[str, Any]]]:
    """The folders and templates directly inside ``folder_id`` (``None``: the top), each folder
    with how many templates and folders it holds at any depth."""
    folders = by_id(listing)
    inside = [f for f in folders.values() if f["parent_id"] == folder_id]
    where = {t["id"]: folder_of(listing, t["id"]) for t in templates}
    shown = []
    for folder in sorted(inside, key=lambda f: f["name"].lower()):
        below = descendants(listing, folder["id"])
        shown.append(
            {
                **folder,
                "folder_count": len(below),
                "template_count": sum(1 for t in templates if where[t["id"]] in below | {folder["id"]}),
            }
        )
    return {
        "folders": shown,
        "templates": [t for t in templates if where[t["id"]] == folder_id],
    }


def descendants(listing: dict[str, Any], folder_id: str) -> set[str]:
    """Every folder inside ``folder_id``, at any depth (not itself)."""
    folders = by_id(listing)
    found: set[str] = set()
    frontier = [folder_id]
    while frontier:
        parent = frontier.pop()
        for f in folders.values():
            if f["parent_id"] == parent and f["id"] not in found and f["id"] != folder_id:
                found.add(f["id"])
                frontier.append(f["id"])
    return found


def label(listing: dict[str, Any], folder_id: str) -> str:
    return " / ".join(f["name"] for f in path_to(listing, folder_id))


def destinations(listing: dict[str, Any]) -> list[tuple[str, str]]:
    """Where things can be moved: the top ("Templates") and every folder by its path."""
    places = [(f["id"], label(listing, f["id"])) for f in listing.get("folders", [])]
    return [("", "Templates"), *sorted(places, key=lambda p: p[1].lower())]


def copy_name(name: str, taken: set[str]) -> str:
    """Notify's name for a copy: '<name> (copy)', then '(copy 2)', '(copy 3)'… if those are taken."""
    candidate = f"{name} (copy)"
    number = 2
    while candidate in taken:
        candidate = f"{name} (copy {number})"
        number += 1
    return candidate
