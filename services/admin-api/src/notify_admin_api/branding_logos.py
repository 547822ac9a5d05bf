"""Branding logos: checked when uploaded (``check_logo``) and kept in the branding bucket
(``BrandingLogos``, created if missing).

Email logos are PNG or JPEG, the formats email clients show (most do not show SVG); letter logos
may be SVG as well, which prints sharpest. A file is recognised by its content, never by its
name or the type the caller claims; an SVG with scripts, event handlers or embedded HTML is
refused, since a logo is shown in the console. Refusals raise ``AdminError`` (a 400).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import boto3
import defusedxml.ElementTree as SafeXml  # type: ignore[import-untyped]
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from defusedxml import DefusedXmlException
from PIL import Image, UnidentifiedImageError

from notify_admin_api.store import AdminError
from notify_common.settings import CommonSettings

log = logging.getLogger(__name__)
LogoKind = Literal["email", "letter"]
MAX_SIDE_PIXELS = 4000
_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg")}
_SVG_REFUSED = ("script", "foreignobject", "iframe", "object", "embed")
ACCEPTED = {"email": "a PNG or JPEG image", "letter": "an SVG, PNG or JPEG image"}


@dataclass(frozen=True)
class Logo:
    data: bytes
    extension: str
    content_type: str


def _svg(data: bytes) -> Logo | None:
    head = data[:512].lstrip()
    if not (head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--")):
        return None
    try:
        root = SafeXml.fromstring(data)
    except (SafeXml.ParseError, DefusedXmlException, ValueError):
        raise AdminError("Logo is not a readable SVG file") from None
    if root.tag.rpartition("}")[2].lower() != "svg":
        return None
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2].lower()
        handlers = [a for a in element.attrib if a.rpartition("}")[2].lower().startswith("on")]
        links = [v for a, v in element.attrib.items() if a.endswith("href") and "javascript:" in v.lower()]
        if name in _SVG_REFUSED or handlers or links:
            raise AdminError("Logo SVG files cannot contain scripts, event handlers or embedded pages")
    return Logo(data, "svg", "image/svg+xml")


def check_logo(data: bytes, kind: LogoKind, max_bytes: int) -> Logo:
    """The logo if it is one of the formats ``kind`` takes and within the limits."""
    if not data:
        raise AdminError("Logo file is empty")
    if len(data) > max_bytes:
        raise AdminError(f"Logo must be {max_bytes // 1024} KB or smaller")
    if kind == "letter":
        svg = _svg(data)
        if svg is not None:
            return svg
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise AdminError(f"Logo must be {ACCEPTED[kind]}") from None
    if image_format not in _FORMATS:
        raise AdminError(f"Logo must be {ACCEPTED[kind]}")
    if max(width, height) > MAX_SIDE_PIXELS:
        raise AdminError(f"Logo must be at most {MAX_SIDE_PIXELS} pixels wide and high")
    extension, content_type = _FORMATS[image_format]
    return Logo(data, extension, content_type)


def new_logo_key(kind: LogoKind, logo: Logo) -> str:
    return f"{kind}/{uuid.uuid4()}.{logo.extension}"


class BrandingLogos:
    """The branding bucket. boto3 is synchronous, so each call runs in a worker thread; a missing
    object is ``None``, any other failure an ``AdminError`` 503 for the caller to retry."""

    def __init__(self, settings: CommonSettings, bucket: str) -> None:
        self.bucket = bucket
        self._region = settings.aws_region
        self._client: Any = boto3.client(
            "s3",
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            extra = {} if self._region == "us-east-1" else {"LocationConstraint": self._region}
            self._client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration=extra)
            self._let_anyone_read()
        self._bucket_ready = True

    def _let_anyone_read(self) -> None:
        """Recipients' email clients load logos straight from the bucket (or a CDN in front of it),
        so a bucket this service creates lets anyone read its objects, and nothing else. Where the
        account blocks public policies, logos are served through a CDN instead (docs/branding.md)."""
        statement = {
            "Sid": "EmailClientsReadLogos",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{self.bucket}/*",
        }
        try:
            self._client.put_bucket_policy(
                Bucket=self.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            log.warning("branding bucket left private", extra={"bucket": self.bucket, "error": code})

    def _put(self, key: str, logo: Logo) -> None:
        self._ensure_bucket()
        self._client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=logo.data,
            ContentType=logo.content_type,
            CacheControl="public, max-age=31536000, immutable",
        )

    def _get(self, key: str) -> tuple[bytes, str] | None:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in {"NoSuchKey", "NoSuchBucket", "404"}:
                return None
            raise
        return answer["Body"].read(), str(answer.get("ContentType") or "application/octet-stream")

    async def put(self, key: str, logo: Logo) -> None:
        try:
            await asyncio.to_thread(self._put, key, logo)
        except (BotoCoreError, ClientError):
            raise AdminError("The logo cannot be stored right now. Try again later", 503) from None

    async def get(self, key: str) -> tuple[bytes, str] | None:
        try:
            return await asyncio.to_thread(self._get, key)
        except (BotoCoreError, ClientError):
            raise AdminError("The logo cannot be read right now. Try again later", 503) from None
