"""What document-download holds for its lifetime, built once at start-up (``app.build_state``)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from notify_common.documents import DocumentStore
from notify_document_download.attempts import AddressAttempts
from notify_document_download.settings import DocumentDownloadSettings


@dataclass
class AppState:
    settings: DocumentDownloadSettings
    documents: DocumentStore
    attempts: AddressAttempts
    redis: Redis[bytes]
