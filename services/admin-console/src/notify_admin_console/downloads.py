"""Files the console passes on from the admin API without holding them: the answer is streamed to
the browser piece by piece as the admin-api streams it, so a report of any size costs the console
only a chunk of memory. A refusal from the API (before any of the file) becomes an ``AdminApiError``
and so the usual error page."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from notify_admin_console.api import AdminApiError, _message
from notify_admin_console.web import api


async def stream_file(
    request: Request, path: str, params: dict[str, Any], file_name: str, media_type: str
) -> StreamingResponse:
    client = api(request).client
    token = request.app.state.settings.admin_api_token.get_secret_value()
    upstream = client.build_request(
        "GET",
        path,
        params={k: v for k, v in params.items() if v is not None},
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        response = await client.send(upstream, stream=True)
    except httpx.HTTPError as exc:
        raise AdminApiError(503, "The platform is not answering, try again in a moment") from exc
    if response.status_code >= 400:
        await response.aread()
        await response.aclose()
        raise AdminApiError(response.status_code, _message(response))
    return StreamingResponse(
        response.aiter_bytes(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
        background=BackgroundTask(response.aclose),
    )
