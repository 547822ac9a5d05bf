"""Files sent by email, stored encrypted in S3 until they expire.

Each file is one object, ``documents/{service_id}/{document_id}`` in ``NOTIFY_DOCUMENTS_BUCKET``
(created if missing, with a lifecycle rule that removes anything older than the longest retention):
a 12-byte nonce, then AES-256-GCM of a small JSON header (filename, type, whether the recipient must
confirm their address, a keyed digest of that address, the expiry) followed by the file. The key is
the document's own, random, and lives only in the download link, so neither the bucket nor its
operators can read a file, its name or its recipient. The expiry is also plain object metadata
(``expires-at``) so that it can be enforced, and swept, without the key.

boto3 is synchronous, so calls run in a thread; its errors are translated here, once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import struct
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.requests import Request

from notify_api_gateway.document_uploads import MAX_RETENTION_WEEKS, PendingDocument
from notify_api_gateway.settings import ApiSettings
from notify_common.errors import RetryableError

log = logging.getLogger(__name__)
NONCE_BYTES = 12
EXPIRES_AT = "expires-at"


def document_key(service_id: str, document_id: str) -> str:
    return f"documents/{service_id}/{document_id}"


@dataclass(frozen=True)
class StoredDocument:
    """A document opened with its key."""

    content: bytes = field(repr=False)
    filename: str = field(repr=False)
    mimetype: str
    confirm_email: bool
    recipient_digest: bytes | None = field(repr=False)
    expires_at: datetime


class DocumentExpired(Exception):
    """The document's retention period is over; it has been deleted."""


def seal(document: PendingDocument) -> bytes:
    upload = document.upload
    header = json.dumps(
        {
            "filename": upload.filename,
            "mimetype": upload.mimetype,
            "confirm_email": upload.confirm_email,
            "recipient": document.recipient_digest.hex() if document.recipient_digest else None,
            "expires_at": document.expires_at.isoformat(),
        }
    ).encode()
    nonce = os.urandom(NONCE_BYTES)
    plaintext = struct.pack(">I", len(header)) + header + upload.content
    aad = document_key(document.service_id, document.document_id).encode()
    return nonce + AESGCM(document.key).encrypt(nonce, plaintext, aad)


def open_sealed(sealed: bytes, key: bytes, service_id: str, document_id: str) -> StoredDocument | None:
    """The document, or None when the key is not its key (or the object is not one of ours)."""
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, document_key(service_id, document_id).encode())
    except (InvalidTag, ValueError):
        return None
    (length,) = struct.unpack(">I", plaintext[:4])
    header = json.loads(plaintext[4 : 4 + length])
    return StoredDocument(
        content=plaintext[4 + length :],
        filename=header["filename"],
        mimetype=header["mimetype"],
        confirm_email=header["confirm_email"],
        recipient_digest=bytes.fromhex(header["recipient"]) if header["recipient"] else None,
        expires_at=datetime.fromisoformat(header["expires_at"]),
    )


class DocumentStore:
    def __init__(self, settings: ApiSettings) -> None:
        self.bucket = settings.documents_bucket
        self._client: Any = boto3.client(
            "s3", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url
        )
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
                            "Filter": {"Prefix": "documents/"},
                            "Status": "Enabled",
                            "Expiration": {"Days": MAX_RETENTION_WEEKS * 7 + 1},
                        }
                    ]
                },
            )

    def _put(self, document: PendingDocument) -> None:
        self._ensure_bucket()
        self._client.put_object(
            Bucket=self.bucket,
            Key=document_key(document.service_id, document.document_id),
            Body=seal(document),
            ContentType="application/octet-stream",
            Metadata={EXPIRES_AT: document.expires_at.astimezone(UTC).isoformat()},
            ServerSideEncryption="AES256",
        )

    def _get(self, service_id: str, document_id: str, key: bytes) -> StoredDocument | None:
        self._ensure_bucket()
        object_key = document_key(service_id, document_id)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=object_key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        expires_at = response.get("Metadata", {}).get(EXPIRES_AT)
        if expires_at is None or datetime.fromisoformat(expires_at) <= datetime.now(UTC):
            self._client.delete_object(Bucket=self.bucket, Key=object_key)
            log.info("document expired", extra={"service_id": service_id, "document_id": document_id})
            raise DocumentExpired
        sealed: bytes = response["Body"].read()
        return open_sealed(sealed, key, service_id, document_id)

    async def put_all(self, documents: tuple[PendingDocument, ...]) -> None:
        try:
            await asyncio.gather(*(asyncio.to_thread(self._put, d) for d in documents))
        except (BotoCoreError, ClientError) as exc:
            raise RetryableError(f"document store unavailable: {type(exc).__name__}") from exc
        for document in documents:
            log.info(
                "document stored",
                extra={"service_id": document.service_id, "document_id": document.document_id},
            )

    async def get(self, service_id: str, document_id: str, key: bytes) -> StoredDocument | None:
        """The document if it exists and ``key`` opens it; ``DocumentExpired`` after its expiry."""
        try:
            return await asyncio.to_thread(self._get, service_id, document_id, key)
        except (BotoCoreError, ClientError) as exc:
            raise RetryableError(f"document store unavailable: {type(exc).__name__}") from exc


def document_store(request: Request) -> DocumentStore:
    """The process's store, made on first use from the app's settings (no start-up cost otherwise)."""
    state = request.app.state
    store = getattr(state, "documents", None)
    if store is None:
        store = DocumentStore(state.notify.settings)
        state.documents = store
    assert isinstance(store, DocumentStore)
    return store
