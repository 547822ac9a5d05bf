"""FastAPI dependencies: the per-process state and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from notify_api_gateway.auth import (
    Authenticated,
    VerifiedTokens,
    bearer_token,
    unverified_issuer,
    verify_remembered,
    verify_token,
)
from notify_api_gateway.idempotency import IdempotencyKeys
from notify_api_gateway.legacy.store import LegacyStore
from notify_api_gateway.notification_reads import NotificationReads
from notify_api_gateway.recent import RecentNotifications
from notify_api_gateway.repository import Repository
from notify_api_gateway.scheduling import HeldSends
from notify_api_gateway.settings import ApiSettings
from notify_common.api_errors import auth_error
from notify_common.documents import DocumentStore
from notify_common.jobs.files import JobFiles
from notify_common.kafka import EventProducer
from notify_common.letter_pdfs import LetterStore
from notify_common.ratelimit import Limiter


@dataclass
class AppState:
    """Everything the gateway holds for its lifetime, built once at start-up (``app.build_state``)."""

    settings: ApiSettings
    repository: Repository
    producer: EventProducer
    reads: NotificationReads
    limiter: Limiter
    recent: RecentNotifications
    idempotency: IdempotencyKeys
    held: HeldSends
    letters: LetterStore
    documents: DocumentStore
    job_files: JobFiles
    legacy: LegacyStore

    def forget_service(self, service_id: str) -> None:
        """Drop everything cached of a service whose configuration changed."""
        self.repository.forget(service_id)
        self.legacy.forget(service_id)


async def get_state(request: Request) -> AppState:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
    state = request.app.state.notify
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(get_state)]


# Tokens this process has verified (see ``auth``): clients reuse a token for many requests.
verified_tokens = VerifiedTokens()


def header(request: Request, name: bytes) -> str | None:
    """``request.headers.get`` of a lower-case ``name``: the first such header's value, or None.
    Read from the scope's list, without building Starlette's ``Headers`` and raising and catching
    a ``KeyError`` for each header a send does not have (Idempotency-Key, X-Request-Id)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def authenticate(request: Request, state: State) -> Authenticated:
    token = bearer_token(header(request, b"authorization"))
    known = verified_tokens.get(token)
    service_id = known.service_id if known is not None else unverified_issuer(token)
    config = await state.repository.service_config(service_id)
    if config is None:
        raise auth_error("Invalid token: service not found")
    if not config.service.active:
        raise auth_error("Invalid token: service is archived")
    if not config.keys:
        raise auth_error("Invalid token: service has no API keys")
    if known is not None:
        remembered = verify_remembered(known, config.keys)
        if remembered is not None:
            return Authenticated(service=config.service, api_key=remembered, config=config)
        verified_tokens.forget(token)
    key, secret, claims = verify_token(token, config.keys)
    verified_tokens.remember(token, service_id, key, secret, claims)
    return Authenticated(service=config.service, api_key=key, config=config)


Caller = Annotated[Authenticated, Depends(authenticate)]
