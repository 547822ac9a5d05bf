"""Template folders for the admin web console, under ``/admin/console`` (the admin API's bearer
token): list a service's folders and where its templates are, create, rename, delete an empty
folder, and move templates and folders into a folder (or back to the top).

A folder never moves into itself or into a folder inside it, and everything moved must belong to
the service in the path. Tables: ``tables.folders``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_admin_api.routes import Admin, run
from notify_admin_api.store import AdminError
from notify_admin_api.tables.configuration import templates
from notify_admin_api.tables.folders import template_folder_templates, template_folders
from notify_admin_api.text_fields import SingleLine

router = APIRouter(prefix="/admin/console", tags=["Admin console"])
NOT_EMPTY = "You must empty this folder before you can delete it"


class FolderName(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=255)

    @field_validator("name")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Enter a folder name")
        return value.strip()


class NewFolder(FolderName):
    parent_id: str | None = None


class Move(BaseModel):
    target_folder_id: str | None = None
    templates: list[str] = Field(default_factory=list, max_length=1000)
    folders: list[str] = Field(default_factory=list, max_length=1000)


def _folder(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "parent_id": str(row.parent_id) if row.parent_id else None,
        "created_at": row.created_at.isoformat(),
    }


class FolderStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _folders(self, conn: AsyncConnection, service_id: str) -> dict[str, dict[str, Any]]:
        rows = await conn.execute(
            select(template_folders)
            .where(template_folders.c.service_id == service_id)
            .order_by(func.lower(template_folders.c.name))
        )
        return {str(r.id): _folder(r) for r in rows}

    async def listing(self, service_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            folders = await self._folders(conn, service_id)
            placed = await conn.execute(
                select(template_folder_templates.c.template_id, template_folder_templates.c.folder_id).where(
                    template_folder_templates.c.service_id == service_id
                )
            )
            placements = {str(r.template_id): str(r.folder_id) for r in placed}
        return {"folders": list(folders.values()), "placements": placements}

    async def create(self, service_id: str, name: str, parent_id: str | None) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            if parent_id is not None and parent_id not in await self._folders(conn, service_id):
                raise AdminError("Folder not found", 404)
            row = (
                await conn.execute(
                    insert(template_folders)
                    .values(id=str(uuid.uuid4()), service_id=service_id, name=name, parent_id=parent_id)
                    .returning(template_folders)
                )
            ).one()
        return _folder(row)

    async def rename(self, service_id: str, folder_id: str, name: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    update(template_folders)
                    .where(
                        and_(template_folders.c.id == folder_id, template_folders.c.service_id == service_id)
                    )
                    .values(name=name)
                    .returning(template_folders)
                )
            ).first()
        if row is None:
            raise AdminError("Folder not found", 404)
        return _folder(row)

    async def delete(self, service_id: str, folder_id: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            folders = await self._folders(conn, service_id)
            if folder_id not in folders:
                raise AdminError("Folder not found", 404)
            if any(f["parent_id"] == folder_id for f in folders.values()):
                raise AdminError(NOT_EMPTY)
            live = await conn.scalar(
                select(func.count())
                .select_from(
                    template_folder_templates.join(
                        templates, templates.c.id == template_folder_templates.c.template_id
                    )
                )
                .where(
                    and_(template_folder_templates.c.folder_id == folder_id, templates.c.archived.is_(False))
                )
            )
            if live:
                raise AdminError(NOT_EMPTY)
            # Deleted templates that were in it go back to the top.
            await conn.execute(
                delete(template_folder_templates).where(template_folder_templates.c.folder_id == folder_id)
            )
            await conn.execute(delete(template_folders).where(template_folders.c.id == folder_id))
        return folders[folder_id]

    async def move(self, service_id: str, body: Move) -> dict[str, Any]:
        target = body.target_folder_id
        if not body.templates and not body.folders:
            raise AdminError("Select at least one template or folder")
        async with self.engine.begin() as conn:
            folders = await self._folders(conn, service_id)
            if target is not None and target not in folders:
                raise AdminError("Folder not found", 404)
            for folder_id in body.folders:
                if folder_id not in folders:
                    raise AdminError("Folder not found", 404)
                if target is not None and _is_within(folders, target, folder_id):
                    raise AdminError(f"You cannot move ‘{folders[folder_id]['name']}’ into itself")
            if body.templates:
                found = await conn.execute(
                    select(templates.c.id).where(
                        and_(templates.c.service_id == service_id, templates.c.id.in_(body.templates))
                    )
                )
                if {str(r.id) for r in found} != set(body.templates):
                    raise AdminError("Template not found", 404)
            if body.folders:
                await conn.execute(
                    update(template_folders)
                    .where(template_folders.c.id.in_(body.folders))
                    .values(parent_id=target)
                )
            if body.templates and target is None:
                await conn.execute(
                    delete(template_folder_templates).where(
                        template_folder_templates.c.template_id.in_(body.templates)
                    )
                )
            elif body.templates:
                placed = pg_insert(template_folder_templates).values(
                    [
                        {"template_id": t, "folder_id": target, "service_id": service_id}
                        for t in body.templates
                    ]
                )
                await conn.execute(
                    placed.on_conflict_do_update(
                        index_elements=[template_folder_templates.c.template_id],
                        set_={"folder_id": placed.excluded.folder_id},
                    )
                )
        return await self.listing(service_id)


def _is_within(folders: dict[str, dict[str, Any]], folder_id: str, ancestor_id: str) -> bool:
    """Whether ``folder_id`` is ``ancestor_id`` or somewhere inside it."""
    seen: set[str] = set()
    current: str | None = folder_id
    while current is not None and current not in seen:
        if current == ancestor_id:
            return True
        seen.add(current)
        current = folders[current]["parent_id"] if current in folders else None
    return False


def _store(admin: Any) -> FolderStore:
    return FolderStore(admin.engine)


@router.get("/services/{service_id}/template-folders")
async def folders(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(_store(admin).listing(service_id))


@router.post("/services/{service_id}/template-folders", status_code=201)
async def create_folder(service_id: str, body: NewFolder, admin: Admin) -> dict[str, Any]:
    return await run(_store(admin).create(service_id, body.name, body.parent_id))


@router.patch("/services/{service_id}/template-folders/{folder_id}")
async def rename_folder(service_id: str, folder_id: str, body: FolderName, admin: Admin) -> dict[str, Any]:
    return await run(_store(admin).rename(service_id, folder_id, body.name))


@router.delete("/services/{service_id}/template-folders/{folder_id}")
async def delete_folder(service_id: str, folder_id: str, admin: Admin) -> dict[str, Any]:
    return await run(_store(admin).delete(service_id, folder_id))


@router.post("/services/{service_id}/template-folders/contents")
async def move_contents(service_id: str, body: Move, admin: Admin) -> dict[str, Any]:
    """Move templates and folders into ``target_folder_id`` (``null``: to the top)."""
    return await run(_store(admin).move(service_id, body))
