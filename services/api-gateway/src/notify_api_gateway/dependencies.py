"""FastAPI dependencies: the per-process state and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from notify_api_gateway.auth import Authenticated, bearer_token, unverified_issuer, verify_with_keys
from notify_api_gateway.errors import auth_error
from notify_api_gateway.repository import Repository
from notify_api_gateway.settings import ApiSettings
from notify_common.kafka import EventProducer


@dataclass
class AppState:
    settings: ApiSettings
    repository: Repository
    producer: EventProducer


def get_state(request: Request) -> AppState:
    state = request.app.state.notify
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(get_state)]


async def authenticate(request: Request, state: State) -> Authenticated:
    token = bearer_token(request.headers.get("authorization"))
    service_id = unverified_issuer(token)
    service, keys = await state.repository.service_with_keys(service_id)
    if service is None:
        raise auth_error("Invalid token: service not found")
    if not service.active:
        raise auth_error("Invalid token: service is archived")
    if not keys:
        raise auth_error("Invalid token: service has no API keys")
    key = verify_with_keys(token, keys)
    return Authenticated(service=service, api_key=key)


Caller = Annotated[Authenticated, Depends(authenticate)]
