"""Admin API routes for contact lists (docs/contact-lists.md), under ``/admin/console``:

* ``POST /services/{id}/contact-lists?file_name=&created_by=``, body the CSV: 201 with the saved
  list, or 400 in Notify's error shape with every problem of the file.
* ``GET /services/{id}/contact-lists`` and ``GET …/{list_id}``: the lists that can still be sent to,
  and one with the jobs sent from it; ``GET …/{list_id}.csv``: its file.
* ``POST …/{list_id}/uploads`` ``{"template_id", "created_by"}``: the list checked for a template,
  as a console upload (``/uploads/{id}/start`` then sends it).
* ``DELETE …/{list_id}``: removes its file and archives it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from notify_admin_api.console_report_requests import csv_download
from notify_admin_api.console_routes import Stores
from notify_admin_api.routes import run
from notify_common.api_errors import ApiError

router = APIRouter(prefix="/admin/console", tags=["Admin console"])


class UseList(BaseModel):
    template_id: str
    created_by: str | None = Field(default=None, max_length=255)


@router.post("/services/{service_id}/contact-lists", status_code=201)
async def upload_list(
    service_id: str,
    request: Request,
    console: Stores,
    file_name: Annotated[str, Query(max_length=255)] = "contact-list.csv",
    created_by: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    limit = console.contact_lists.limits.max_bytes
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise ApiError(413, "AdminError", "Your file is too big")
    return await run(console.contact_lists.save(service_id, file_name, bytes(data), created_by))


@router.get("/services/{service_id}/contact-lists")
async def lists(service_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.contact_lists.all(service_id))


@router.get("/services/{service_id}/contact-lists/{list_id}.csv")
async def list_file(service_id: str, list_id: str, console: Stores) -> StreamingResponse:
    return await csv_download(console.contact_lists.open(service_id, list_id), "contact-list.csv")


@router.get("/services/{service_id}/contact-lists/{list_id}")
async def one_list(service_id: str, list_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.contact_lists.get(service_id, list_id))


@router.post("/services/{service_id}/contact-lists/{list_id}/uploads", status_code=201)
async def use_list(service_id: str, list_id: str, body: UseList, console: Stores) -> dict[str, Any]:
    return await run(console.contact_lists.use(service_id, list_id, body.template_id, body.created_by))


@router.delete("/services/{service_id}/contact-lists/{list_id}")
async def delete_list(service_id: str, list_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.contact_lists.delete(service_id, list_id))
