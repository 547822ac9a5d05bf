"""Job CSVs in S3: stored once at upload, streamed by the job-splitter (memory stays flat).

boto3 is synchronous, so every call runs in a worker thread; ``open_stream`` returns a blocking
binary stream meant to be read from a thread too. botocore errors are translated here, once: a
missing object or bucket is a ``PermanentError``, anything else (connection, 5xx, throttling) a
``RetryableError``. The object carries Notify-style metadata (template, row count, validity).
"""

from __future__ import annotations

import asyncio
import io
import urllib.parse
from collections.abc import Mapping
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from notify_common.errors import PermanentError, RetryableError
from notify_common.settings import CommonSettings

DEFAULT_BUCKET = "notify-jobs"
READ_BUFFER_BYTES = 1024 * 1024
_MISSING = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}


def object_key_for(service_id: str, job_id: str) -> str:
    return f"service-{service_id}-notify/{job_id}.csv"


def _translate(exc: Exception, what: str) -> Exception:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            return PermanentError(f"{what}: not found")
        return RetryableError(f"{what}: {code or 'error'}")
    return RetryableError(f"{what}: {type(exc).__name__}")


class _BodyReader(io.RawIOBase):
    """A botocore streaming body as a raw stream, so it can be buffered and decoded lazily."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except (BotoCoreError, OSError) as exc:
            raise _translate(exc, "reading job file") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class JobFiles:
    """The bucket of job CSVs (``NOTIFY_JOBS_BUCKET``, created if missing)."""

    def __init__(self, settings: CommonSettings, bucket: str = DEFAULT_BUCKET) -> None:
        self.bucket = bucket
        self._region = settings.aws_region
        self._client: Any = boto3.client(
            "s3",
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=16),
        )
        self._bucket_ready = False

    async def ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        await asyncio.to_thread(self._ensure_bucket)
        self._bucket_ready = True

    def _ensure_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) not in _MISSING:
                raise _translate(exc, "checking the jobs bucket") from exc
        except BotoCoreError as exc:
            raise _translate(exc, "checking the jobs bucket") from exc
        extra = (
            {}
            if self._region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": self._region}}
        )
        try:
            self._client.create_bucket(Bucket=self.bucket, **extra)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in (
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            ):
                raise _translate(exc, "creating the jobs bucket") from exc

    async def upload(self, key: str, stream: BinaryIO, metadata: Mapping[str, str]) -> None:
        """Store ``stream`` (from its current position) under ``key``, in parts if it is big."""
        await self.ensure_bucket()
        safe = {k: urllib.parse.quote(v, safe=" -_.,:/@") for k, v in metadata.items()}
        try:
            await asyncio.to_thread(
                self._client.upload_fileobj,
                stream,
                self.bucket,
                key,
                # Encrypted at rest by S3 (SSE-S3): a recipients file is personal data.
                ExtraArgs={"Metadata": safe, "ContentType": "text/csv", "ServerSideEncryption": "AES256"},
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "storing job file") from exc

    async def metadata(self, key: str, bucket: str | None = None) -> dict[str, str]:
        try:
            head = await asyncio.to_thread(self._client.head_object, Bucket=bucket or self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "reading job file metadata") from exc
        return {k: urllib.parse.unquote(v) for k, v in dict(head.get("Metadata", {})).items()}

    async def open_stream(self, key: str, bucket: str | None = None) -> BinaryIO:
        """A buffered, blocking stream of the object; read it from a thread, then close it."""
        try:
            response = await asyncio.to_thread(self._client.get_object, Bucket=bucket or self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "opening job file") from exc
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=READ_BUFFER_BYTES)

    async def delete(self, key: str, bucket: str | None = None) -> None:
        try:
            await asyncio.to_thread(self._client.delete_object, Bucket=bucket or self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "deleting job file") from exc
