"""Letters in S3 (moto locally): the PDF of every letter in the letters bucket, where the API finds
it for GET /v2/notifications/{id}/pdf, and the print provider's drop, a DVLA-like exchange through
a bucket of its own.

The PDF is written under both keys the API has been given: ``letters/{notification_id}.pdf`` and
the API's own ``notify_common.letter_pdfs.pdf_key`` (where it also keeps precompiled uploads),
until one of them is retired. The print drop:


    print/{notification_id}.pdf      the letter to print
    print/{notification_id}.json     its manifest: postage, pages, sheets
    responses/{notification_id}.json the printer's answer: {"status": "DESPATCHED" | "REJECTED"}

boto3 is synchronous: calls run in worker threads, and its errors become the platform's here.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.letter_pdfs import pdf_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")
THROTTLING_CODES = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded"})
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


class LetterNotFoundError(PermanentError):
    """The precompiled PDF the request names is not in the bucket."""


def letter_key(notification_id: str) -> str:
    return f"letters/{notification_id}.pdf"


class LetterStore:
    def __init__(self, client: S3Client, letters_bucket: str, print_bucket: str, threads: int = 8) -> None:
        self._client, self.letters_bucket, self.print_bucket = client, letters_bucket, print_bucket
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="s3")

    def ensure_buckets(self) -> None:
        """Create the buckets if missing (development and tests; production buckets are provisioned)."""
        for bucket in (self.letters_bucket, self.print_bucket):
            try:
                self._client.head_bucket(Bucket=bucket)
            except ClientError:
                self._client.create_bucket(
                    Bucket=bucket,
                    CreateBucketConfiguration={"LocationConstraint": self._client.meta.region_name},  # type: ignore[typeddict-item]
                )

    async def _run(self, work: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in NOT_FOUND_CODES:
                raise LetterNotFoundError(f"s3 object not found: {code}") from exc
            if code in THROTTLING_CODES:
                raise ThrottledError(f"s3 throttled the request: {code}") from exc
            raise RetryableError(f"s3 failed: {code or 'unknown'}") from exc
        except (ConnectTimeoutError, EndpointConnectionError, BotoCoreError) as exc:
            raise RetryableError(f"s3 unreachable: {type(exc).__name__}") from exc

    async def read(self, key: str, *, bucket: str | None = None) -> bytes:
        def get() -> bytes:
            return self._client.get_object(Bucket=bucket or self.letters_bucket, Key=key)["Body"].read()

        return await self._run(get)

    async def store_letter(
        self, notification_id: str, service_id: str, pdf: bytes, already_at: str | None = None
    ) -> None:
        """Make the PDF available under every key the API reads (but the one it already has)."""
        for key in (letter_key(notification_id), pdf_key(service_id, notification_id)):
            if key != already_at:
                await self._put(key, pdf)

    async def _put(self, key: str, pdf: bytes) -> None:
        await self._run(
            lambda: self._client.put_object(
                Bucket=self.letters_bucket, Key=key, Body=pdf, ContentType="application/pdf"
            )
        )

    async def drop_for_print(self, notification_id: str, pdf: bytes, manifest: dict[str, Any]) -> str:
        """Hand the letter to the print provider; the PDF goes first, so a manifest always has one."""
        key = f"print/{notification_id}"
        await self._run(
            lambda: self._client.put_object(
                Bucket=self.print_bucket, Key=f"{key}.pdf", Body=pdf, ContentType="application/pdf"
            )
        )
        body = json.dumps({"notification_id": notification_id, **manifest}).encode()
        await self._run(
            lambda: self._client.put_object(
                Bucket=self.print_bucket, Key=f"{key}.json", Body=body, ContentType="application/json"
            )
        )
        return key

    async def seen(self, references: Sequence[str]) -> set[str]:
        """The notification ids whose print drop, or the printer's answer to it, is in the print
        bucket (send_recovery.HandoverLookup): the print provider has those letters."""

        def exists(key: str) -> bool:
            try:
                self._client.head_object(Bucket=self.print_bucket, Key=key)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code", "")) in NOT_FOUND_CODES:
                    return False
                raise
            return True

        def handed_over(nid: str) -> bool:
            return exists(f"print/{nid}.json") or exists(f"responses/{nid}.json")

        found = set()
        for nid in references:
            if await self._run(functools.partial(handed_over, nid)):
                found.add(nid)
        return found

    async def print_responses(self, limit: int = 500) -> list[tuple[str, dict[str, Any]]]:
        def fetch() -> list[tuple[str, dict[str, Any]]]:
            listed = self._client.list_objects_v2(
                Bucket=self.print_bucket, Prefix="responses/", MaxKeys=limit
            )
            found = []
            for item in listed.get("Contents", []):
                body = self._client.get_object(Bucket=self.print_bucket, Key=item["Key"])["Body"].read()
                found.append((item["Key"], json.loads(body)))
            return found

        return await self._run(fetch)

    async def forget_response(self, key: str) -> None:
        await self._run(lambda: self._client.delete_object(Bucket=self.print_bucket, Key=key))

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
