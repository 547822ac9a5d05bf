"""document-download in this process, beside an api-gateway that writes to the same bucket and
publishes to the same topics: what the files-by-email and unsubscribe tests send through and open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3

from notify_common.documents import EXPIRES_AT, document_key
from notify_document_download.app import create_app
from notify_document_download.settings import DocumentDownloadSettings
from tests.integration.api_gateway.harness import backing_services, free_port, serving
from tests.support import env


def download_settings(bucket: str, port: int, **overrides: Any) -> DocumentDownloadSettings:
    values = {**backing_services(), "http_port": port, "documents_bucket": bucket}
    return DocumentDownloadSettings(**{**values, **overrides})


@contextmanager
def running_document_download(bucket: str, **overrides: Any) -> Iterator[str]:
    """document-download on a free port, serving ``bucket`` (settings: ``download_settings`` with
    ``overrides``); yields its URL."""
    port = free_port()
    with serving(create_app(download_settings(bucket, port, **overrides)), port, "document-download") as url:
        yield url


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
