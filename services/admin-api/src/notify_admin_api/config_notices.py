"""ASGI middleware: after a change to a service's configuration succeeds (a request other than
GET or HEAD under ``/admin[/console]/services/{id}``, answered below 400), announce it
(``notify_common.config_changes``) so the api-gateway drops what it cached of that service at once
instead of within its cache time. The change is committed before the answer starts."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notify_common.config_changes import announce

_SERVICE_PATH = re.compile(r"^/admin(?:/console)?/services/([0-9a-fA-F-]{36})(?:/|$)")
READS = frozenset({"GET", "HEAD"})


class ConfigNotices:
    """Announces through the app state's Redis client (``AdminState.redis``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _SERVICE_PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None or scope["method"] in READS:
            await self.app(scope, receive, send)
            return
        service_id = match.group(1).lower()

        async def announcing(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) < 400:
                await announce(scope["app"].state.admin.redis, service_id)
            await send(message)

        await self.app(scope, receive, announcing)
