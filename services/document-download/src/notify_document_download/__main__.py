"""Entry point: ``notify-document-download`` serves the download pages of files sent by email."""

from __future__ import annotations

import uvloop

from notify_common.http import serve_http
from notify_document_download.app import create_app
from notify_document_download.settings import DocumentDownloadSettings


def main() -> int:
    # uvloop (a dependency of uvicorn[standard]) for the event loop of serve_http's asyncio.run.
    uvloop.install()
    settings = DocumentDownloadSettings()
    return serve_http(
        "document-download",
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level,
        grace_seconds=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    raise SystemExit(main())
