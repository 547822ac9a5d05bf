"""Plays the print provider: picks up letters dropped in the print bucket (``print/{id}.json`` and
its PDF), answers each with ``responses/{id}.json`` saying DESPATCHED, and removes the drop, as a
DVLA-like printer would. It remembers what it "printed" for the web page."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)


@dataclass
class PrintedLetter:
    notification_id: str
    postage: str
    pages: int
    printed_at: datetime


class Printer:
    def __init__(self, client: S3Client, bucket: str, every_s: float = 2.0) -> None:
        self._client, self._bucket, self._every_s = client, bucket, every_s
        self.printed: dict[str, PrintedLetter] = {}

    def print_once(self) -> int:
        listed = self._client.list_objects_v2(Bucket=self._bucket, Prefix="print/", MaxKeys=500)
        manifests = [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".json")]
        for key in manifests:
            manifest: dict[str, Any] = json.loads(
                self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            )
            notification_id = str(manifest["notification_id"])
            answer = {"notification_id": notification_id, "status": "DESPATCHED"}
            self._client.put_object(
                Bucket=self._bucket, Key=f"responses/{notification_id}.json", Body=json.dumps(answer).encode()
            )
            self._client.delete_object(Bucket=self._bucket, Key=key)
            self._client.delete_object(Bucket=self._bucket, Key=key.removesuffix(".json") + ".pdf")
            self.printed[notification_id] = PrintedLetter(
                notification_id,
                str(manifest.get("postage", "")),
                int(manifest.get("pages", 0)),
                datetime.now(UTC),
            )
        return len(manifests)

    async def run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.print_once)
            except (ClientError, BotoCoreError) as exc:
                # No bucket yet (no letter sent), or no S3 here: nothing to print.
                log.debug("print bucket not readable", extra={"error": type(exc).__name__})
            await asyncio.sleep(self._every_s)
