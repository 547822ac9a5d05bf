"""What document-download holds for its lifetime, built once at start-up (``app.build_state``)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.documents import DocumentStore
from notify_common.unsubscribe import UnsubscribeLinks
from notify_document_download.attempts import AddressAttempts
from notify_document_download.publisher import UnsubscribePublisher
from notify_document_download.settings import DocumentDownloadSettings


@dataclass
class AppState:
    settings: DocumentDownloadSettings
    documents: DocumentStore
    attempts: AddressAttempts
    redis: Redis[bytes]
    engine: AsyncEngine
    unsubscribes: UnsubscribePublisher
    unsubscribe_links: UnsubscribeLinks


def current(request: Request) -> AppState:
    """The state of the app serving ``request``."""
    state = request.app.state.document_download
    assert isinstance(state, AppState)
    return state
