"""FastAPI dependencies: the per-process state and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from notify_api_gateway.auth import Authenticated, bearer_token, unverified_issuer, verify_with_keys
from notify_api_gateway.errors import auth_error
from notify_api_gateway.idempotency import IdempotencyKeys
from notify_api_gateway.letters import LetterStore
from notify_api_gateway.notification_reads import NotificationReads
from notify_api_gateway.recent import RecentNotifications
from notify_api_gateway.repository import Repository
from notify_api_gateway.scheduling import Scheduler
from notify_api_gateway.settings import ApiSettings
from notify_common.kafka import EventProducer
from notify_common.ratelimit import Limiter


@dataclass
class AppState:
    settings: ApiSettings
    repository: Repository
    producer: EventProducer
    reads: NotificationReads
    limiter: Limiter
    recent: RecentNotifications
    idempotency: IdempotencyKeys
    scheduler: Scheduler
    letters: LetterStore


def get_state(request: Request) -> AppState:
    state = request.app.state.notify
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(get_state)]


async def authenticate(request: Request, state: State) -> Authenticated:
    token = bearer_token(request.headers.get("authorization"))
    service_id = unverified_issuer(token)
    config = await state.repository.service_config(service_id)
    if config is None:
        raise auth_error("Invalid token: service not found")
    if not config.service.active:
        raise auth_error("Invalid token: service is archived")
    if not config.keys:
        raise auth_error("Invalid token: service has no API keys")
    key = verify_with_keys(token, config.keys)
    return Authenticated(service=config.service, api_key=key, config=config)


Caller = Annotated[Authenticated, Depends(authenticate)]
