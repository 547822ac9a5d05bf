"""Admin API routes for a console account's security keys (``console_webauthn``), under
``/admin/console/users/{id}``: the keys (list, rename, delete), registering one in two steps, and
the two steps of signing in with one. ``origin`` is the console's own origin, as the browser will
report it; the relying party id is its host name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from notify_admin_api.console_routes import get_console
from notify_admin_api.console_webauthn import WebAuthnStore
from notify_admin_api.routes import run
from notify_admin_api.state import Console, State
from notify_admin_api.text_fields import SingleLine

router = APIRouter(prefix="/admin/console/users/{user_id}", tags=["Admin console"])


async def get_keys(console: Annotated[Console, Depends(get_console)], state: State) -> WebAuthnStore:
    return WebAuthnStore(console.accounts.engine, state.redis, console.accounts)


Keys = Annotated[WebAuthnStore, Depends(get_keys)]


class Origin(BaseModel):
    origin: str = Field(min_length=1, max_length=255)


class KeyResponse(BaseModel):
    ceremony: str = Field(min_length=1, max_length=64)
    # What the browser's navigator.credentials answered, in its JSON form (base64url fields).
    credential: dict[str, Any]


class KeyName(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=255)


@router.get("/webauthn")
async def keys(user_id: str, store: Keys) -> dict[str, Any]:
    return await run(store.credentials(user_id))


@router.post("/webauthn/registration-options")
async def registration_options(user_id: str, body: Origin, store: Keys) -> dict[str, Any]:
    return await run(store.registration_options(user_id, body.origin))


@router.post("/webauthn", status_code=201)
async def register(user_id: str, body: KeyResponse, store: Keys) -> dict[str, Any]:
    return await run(store.register(user_id, body.ceremony, body.credential))


@router.patch("/webauthn/{key_id}")
async def rename(user_id: str, key_id: str, body: KeyName, store: Keys) -> dict[str, Any]:
    return await run(store.rename(user_id, key_id, body.name))


@router.delete("/webauthn/{key_id}")
async def delete(user_id: str, key_id: str, store: Keys) -> dict[str, Any]:
    return await run(store.delete(user_id, key_id))


@router.post("/webauthn/authentication-options")
async def authentication_options(user_id: str, body: Origin, store: Keys) -> dict[str, Any]:
    return await run(store.authentication_options(user_id, body.origin))


@router.post("/verify-webauthn")
async def verify(user_id: str, body: KeyResponse, store: Keys) -> dict[str, Any]:
    """A security key's answer at sign-in; refused like a wrong code, and counted the same way."""
    return await run(store.authenticate(user_id, body.ceremony, body.credential))
