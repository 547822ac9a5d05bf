"""document-download in this process, beside an api-gateway that writes to the same bucket: what
the files-by-email tests send through and download from."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import uvicorn

from notify_common.documents import EXPIRES_AT, document_key
from notify_document_download.app import create_app
from notify_document_download.settings import DocumentDownloadSettings
from tests.integration.api_gateway.harness import free_port
from tests.support import env


def download_settings(bucket: str, port: int) -> DocumentDownloadSettings:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return DocumentDownloadSettings(
        http_port=port,
        redis_url=env.REDIS_URL,
        aws_endpoint_url=env.MOTO_URL,
        documents_bucket=bucket,
        log_level="WARNING",
    )


@contextmanager
def running_document_download(bucket: str) -> Iterator[str]:
    """document-download on a free port, serving ``bucket``; yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(download_settings(bucket, port)),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("document-download did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def s3() -> Any:
    return boto3.client("s3", region_name="eu-west-2", endpoint_url=env.MOTO_URL)


def ids_of(link: str) -> tuple[str, str]:
    """The service and document ids in a download link."""
    service_id, document_id = link.split("?")[0].split("/")[-2:]
    return service_id, document_id


def expire(bucket: str, link: str) -> None:
    """Move a stored document's expiry into the past, as time would."""
    key = document_key(*ids_of(link))
    s3().copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        Metadata={EXPIRES_AT: datetime(2020, 1, 1, tzinfo=UTC).isoformat()},
        MetadataDirective="REPLACE",
    )
