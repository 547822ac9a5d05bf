"""Files sent by email: how one is stored in S3 and how its download link is spelt, in one place.

The api-gateway writes a file when it accepts the send; document-download reads it when the
recipient follows the link. Neither calls the other: this module is the whole contract between them.

Each file is one object, ``documents/{service_id}/{document_id}`` in the documents bucket (created
if missing, with a lifecycle rule that removes anything older than the longest retention): a 12-byte
nonce, then AES-256-GCM of a small JSON header (filename, type, whether the recipient must confirm
their address, a keyed digest of that address, the expiry, and the sending service's name and
contact link as they were when the file was sent) followed by the file. The key is the document's
own, random, and lives only in the download link (``{root}/d/{service_id}/{document_id}?key=...``),
so neither the bucket nor its operators can read a file, its name, its recipient or its sender. The
expiry is also plain object metadata (``expires-at``) so that it can be enforced, and swept, without
the key.

boto3 is synchronous, so calls run in a thread; its errors are translated here, once, into
``RetryableError``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import struct
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from notify_common.errors import RetryableError

log = logging.getLogger(__name__)
NONCE_BYTES = 12
KEY_BYTES = 32
EXPIRES_AT = "expires-at"
MAX_RETENTION_WEEKS = 78
PREFIX = "documents/"


def document_key(service_id: str, document_id: str) -> str:
    """The S3 key of a document."""
    return f"{PREFIX}{service_id}/{document_id}"


@dataclass(frozen=True)
class DocumentLink:
    """A new document's id and key, and the link that carries both."""

    document_id: str
    key: bytes = field(repr=False)
    url: str = field(repr=False)


def new_link(download_root: str, service_id: str) -> DocumentLink:
    """A fresh document id and random 256-bit key, and its link under ``download_root``."""
    document_id = str(uuid.uuid4())
    key = secrets.token_bytes(KEY_BYTES)
    token = base64.urlsafe_b64encode(key).rstrip(b"=").decode()
    url = f"{download_root.rstrip('/')}/d/{service_id}/{document_id}?key={token}"
    return DocumentLink(document_id, key, url)


def key_from_token(token: str) -> bytes | None:
    """The key a link carries, or None when it is not one."""
    try:
        key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == KEY_BYTES else None


def recipient_digest(key: bytes, normalised_address: str) -> bytes:
    """Keyed by the document's own key: without the link, the digest says nothing about anyone."""
    return hmac.new(key, normalised_address.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Document:
    """A document as stored: what is sealed with its key, and the ids that name its object."""

    service_id: str
    document_id: str
    content: bytes = field(repr=False)
    filename: str = field(repr=False)
    mimetype: str
    confirm_email: bool
    recipient_digest: bytes | None = field(repr=False)
    expires_at: datetime
    service_name: str = ""
    contact_link: str | None = None


@dataclass(frozen=True)
class DocumentToStore:
    """A document and the key that seals it, to be written before its send is accepted."""

    document: Document
    key: bytes = field(repr=False)


class DocumentExpired(Exception):
    """The document's retention period is over; it has been deleted. ``document`` is what the
    link's key still opened (for the service's contact details), or None."""

    def __init__(self, document: Document | None = None) -> None:
        super().__init__("document expired")
        self.document = document


def seal(document: Document, key: bytes) -> bytes:
    header = json.dumps(
        {
            "filename": document.filename,
            "mimetype": document.mimetype,
            "confirm_email": document.confirm_email,
            "recipient": document.recipient_digest.hex() if document.recipient_digest else None,
            "expires_at": document.expires_at.isoformat(),
            "service_name": document.service_name,
            "contact_link": document.contact_link,
        }
    ).encode()
    nonce = os.urandom(NONCE_BYTES)
    plaintext = struct.pack(">I", len(header)) + header + document.content
    aad = document_key(document.service_id, document.document_id).encode()
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(sealed: bytes, key: bytes, service_id: str, document_id: str) -> Document | None:
    """The document, or None when the key is not its key (or the object is not one of ours)."""
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, document_key(service_id, document_id).encode())
    except (InvalidTag, ValueError):
        return None
    (length,) = struct.unpack(">I", plaintext[:4])
    header = json.loads(plaintext[4 : 4 + length])
    return Document(
        service_id=service_id,
        document_id=document_id,
        content=plaintext[4 + length :],
        filename=header["filename"],
        mimetype=header["mimetype"],
        confirm_email=header["confirm_email"],
        recipient_digest=bytes.fromhex(header["recipient"]) if header["recipient"] else None,
        expires_at=datetime.fromisoformat(header["expires_at"]),
        service_name=header.get("service_name") or "",
        contact_link=header.get("contact_link"),
    )


class DocumentStore:
    """The documents bucket: ``put_all`` for the api-gateway, ``get`` for document-download."""

    def __init__(self, bucket: str, *, region: str, endpoint_url: str | None) -> None:
        self.bucket = bucket
        self._client: Any = boto3.client("s3", region_name=region, endpoint_url=endpoint_url)
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()  # the files of one send are stored in parallel threads

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self._create_bucket()
                self._bucket_ready = True

    def _create_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._client.create_bucket(
                Bucket=self.bucket,
                CreateBucketConfiguration={"LocationConstraint": self._client.meta.region_name},
            )
            # A backstop for the expiry checked on every read: nothing outlives the longest retention.
            self._client.put_bucket_lifecycle_configuration(
                Bucket=self.bucket,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": "documents-expire",
                            "Filter": {"Prefix": PREFIX},
                            "Status": "Enabled",
                            "Expiration": {"Days": MAX_RETENTION_WEEKS * 7 + 1},
                        }
                    ]
                },
            )

    def _check_bucket(self) -> None:
        self._ensure_bucket()
        self._client.head_bucket(Bucket=self.bucket)

    def _put(self, item: DocumentToStore) -> None:
        self._ensure_bucket()
        document = item.document
        self._client.put_object(
            Bucket=self.bucket,
            Key=document_key(document.service_id, document.document_id),
            Body=seal(document, item.key),
            ContentType="application/octet-stream",
            Metadata={EXPIRES_AT: document.expires_at.astimezone(UTC).isoformat()},
            ServerSideEncryption="AES256",
        )

    def _get(self, service_id: str, document_id: str, key: bytes) -> Document | None:
        self._ensure_bucket()
        object_key = document_key(service_id, document_id)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=object_key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        sealed: bytes = response["Body"].read()
        expires_at = response.get("Metadata", {}).get(EXPIRES_AT)
        if expires_at is None or datetime.fromisoformat(expires_at) <= datetime.now(UTC):
            self._client.delete_object(Bucket=self.bucket, Key=object_key)
            log.info("document expired", extra={"service_id": service_id, "document_id": document_id})
            raise DocumentExpired(open_sealed(sealed, key, service_id, document_id))
        return open_sealed(sealed, key, service_id, document_id)

    async def put_all(self, items: tuple[DocumentToStore, ...]) -> None:
        try:
            await asyncio.gather(*(asyncio.to_thread(self._put, item) for item in items))
        except (BotoCoreError, ClientError) as exc:
            raise RetryableError(f"document store unavailable: {type(exc).__name__}") from exc
        for item in items:
            log.info(
                "document stored",
                extra={"service_id": item.document.service_id, "document_id": item.document.document_id},
            )

    async def get(self, service_id: str, document_id: str, key: bytes) -> Document | None:
        """The document if it exists and ``key`` opens it; ``DocumentExpired`` after its expiry."""
        try:
            return await asyncio.to_thread(self._get, service_id, document_id, key)
        except (BotoCoreError, ClientError) as exc:
            raise RetryableError(f"document store unavailable: {type(exc).__name__}") from exc

    async def ready(self) -> bool:
        """Whether the bucket can be reached (and exists, made if missing)."""
        try:
            await asyncio.to_thread(self._check_bucket)
        except (BotoCoreError, ClientError):
            return False
        return True
