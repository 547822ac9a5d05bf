"""Letter PDFs in S3, where the public API and the letter-sender meet: the API keeps precompiled
letters here as received and answers GET .../pdf from here, and the letter-sender writes each
rendered letter here. The key, ``pdf/{service_id}/{notification_id}.pdf`` in
``NOTIFY_LETTERS_BUCKET``, is spelt once, in ``pdf_key``. boto3 is synchronous, so calls run in a
thread; its errors are translated here, once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from notify_common.errors import RetryableError


def pdf_key(service_id: str, notification_id: str) -> str:
    """Where a letter's PDF is kept, for the API and the letter-sender alike."""
    return f"pdf/{service_id}/{notification_id}.pdf"


class LetterStore:
    def __init__(self, bucket: str, *, region: str, endpoint_url: str | None) -> None:
        self.bucket = bucket
        self._client: Any = boto3.client("s3", region_name=region, endpoint_url=endpoint_url)
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._client.create_bucket(
                Bucket=self.bucket,
                CreateBucketConfiguration={"LocationConstraint": self._client.meta.region_name},
            )
        self._bucket_ready = True

    def _put(self, key: str, data: bytes) -> None:
        self._ensure_bucket()
        self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/pdf")

    def _get(self, key: str) -> bytes | None:
        self._ensure_bucket()
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = response["Body"].read()
        return body

    async def put(self, key: str, data: bytes) -> None:
        try:
            await asyncio.to_thread(self._put, key, data)
        except (BotoCoreError, ClientError) as exc:
            raise RetryableError(f"letter store unavailable: {type(exc).__name__}") from exc

    async def get(self, key: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self._get, key)
        except (BotoCoreError, ClientError) as exc:
            raise RetryableError(f"letter store unavailable: {type(exc).__name__}") from exc
