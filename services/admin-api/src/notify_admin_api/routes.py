"""The admin API under ``/admin``: configuration data, with its own authentication.

Every request carries ``Authorization: Bearer <token>``: the platform token or a scoped one
(``access.py``); service API keys are never accepted here. With no token configured, every
request is refused; failed authentications are throttled per client address.
Request bodies are pydantic models; answers are ``{"data": ...}``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError

from notify_admin_api.access import match_token
from notify_admin_api.history_notes import note
from notify_admin_api.service_history import change, changes_between
from notify_admin_api.state import State
from notify_admin_api.store import AdminError, AdminStore, new_signing_secret
from notify_admin_api.text_fields import InboundNumberText, MultiLine, SingleLine, single_line
from notify_common.api_errors import ApiError

KeyType = Literal["normal", "team", "test"]
TemplateType = Literal["sms", "email", "letter"]
Postage = Literal["first", "second", "economy"]


async def admin_store(request: Request, state: State) -> AdminStore:
    """The store, for a caller whose token is right and whose scope covers this request."""
    access = state.access
    client = request.client.host if request.client else "unknown"
    wait = access.throttle.retry_after(client)
    if wait is not None:
        raise ApiError(
            429,
            "RateLimitError",
            "Too many failed admin API authentications: try again later",
            headers={"Retry-After": str(wait)},
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    token = match_token(access.tokens, given.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        access.throttle.failed(client)
        raise ApiError(401, "AuthError", "Unauthorized: admin token required")
    request.state.admin_token = token  # for the audit line
    if not token.permits(request.method, request.url.path):
        raise ApiError(403, "AuthError", f"Forbidden: this admin token's scope is {token.scope}")
    return state.store


Admin = Annotated[AdminStore, Depends(admin_store)]
router = APIRouter(prefix="/admin", tags=["Admin"])


T = TypeVar("T")


async def answered(call: Awaitable[T]) -> T:
    """What ``call`` gives, with the store's refusals answered as the API's errors."""
    try:
        return await call
    except AdminError as exc:
        raise ApiError(exc.status_code, "AdminError", exc.message) from None
    except (DataError, IntegrityError):
        # e.g. an id that is not a UUID, or a row another one depends on
        raise ApiError(400, "AdminError", "Invalid identifier or value") from None


async def run(call: Any) -> dict[str, Any]:
    return {"data": await answered(call)}


class ServiceSettings(BaseModel):
    """What a new service may be given and an existing one changed, beside its name: left out, the
    platform's default (a new service) or what it was (a change)."""

    prefix_sms: bool | None = None
    sms_sender: SingleLine | None = Field(default=None, max_length=11)
    rate_limit: int | None = Field(default=None, ge=1)
    sms_message_limit: int | None = Field(default=None, ge=0)
    email_message_limit: int | None = Field(default=None, ge=0)
    letter_message_limit: int | None = Field(default=None, ge=0)
    international_sms_message_limit: int | None = Field(default=None, ge=0)
    # A URL, email address or phone number; in a change, null or "" clears it.
    contact_link: SingleLine | None = Field(default=None, max_length=255)


class NewService(ServiceSettings):
    name: SingleLine = Field(min_length=1, max_length=255)
    email_from: SingleLine = Field(min_length=1, max_length=255, pattern=r"^[a-z0-9.\-_]+$")
    live: bool = False
    permissions: list[str] = ["sms", "email", "letter"]


class ServiceChanges(ServiceSettings):
    name: SingleLine | None = Field(default=None, min_length=1, max_length=255)
    live: bool | None = None
    active: bool | None = None
    permissions: list[str] | None = None


class Retention(BaseModel):
    days_of_retention: int


class NewKey(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=255)
    key_type: KeyType


class Variant(BaseModel):
    """A template's texts in one of its other languages."""

    content: MultiLine
    subject: SingleLine | None = None


LetterLanguages = Literal["english", "welsh_then_english"]


class NewTemplate(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=255)
    template_type: TemplateType
    content: MultiLine
    subject: SingleLine | None = None
    postage: Postage | None = None
    letter_contact_block: MultiLine | None = None
    created_by: SingleLine | None = None
    # "Add an unsubscribe link" (email templates only; docs/unsubscribe.md).
    has_unsubscribe_link: bool = False
    # Languages (docs/languages.md): the language of ``content`` and ``subject`` (default en), the
    # texts in other languages by BCP 47 tag, and a letter's Welsh part.
    language: SingleLine | None = Field(default=None, max_length=35)
    variants: dict[str, Variant] | None = None
    letter_languages: LetterLanguages | None = None
    letter_welsh_subject: SingleLine | None = None
    letter_welsh_content: MultiLine | None = None


class TemplateChanges(BaseModel):
    name: SingleLine | None = Field(default=None, min_length=1, max_length=255)
    content: MultiLine | None = None
    subject: SingleLine | None = None
    postage: Postage | None = None
    letter_contact_block: MultiLine | None = None
    created_by: SingleLine | None = None
    has_unsubscribe_link: bool | None = None
    # Given ones replace what is stored (``variants`` as a whole: {} removes them all).
    language: SingleLine | None = Field(default=None, max_length=35)
    variants: dict[str, Variant] | None = None
    letter_languages: LetterLanguages | None = None
    letter_welsh_subject: SingleLine | None = None
    letter_welsh_content: MultiLine | None = None


class TeamMember(BaseModel):
    email_address: SingleLine
    mobile_number: SingleLine | None = None
    name: SingleLine | None = None


class GuestList(BaseModel):
    email_addresses: list[SingleLine] = []
    phone_numbers: list[SingleLine] = []


class Identity(BaseModel):
    value: MultiLine = Field(min_length=1)  # single-line unless a letter contact block
    is_default: bool = False


class Callback(BaseModel):
    url: SingleLine
    bearer_token: SingleLine
    signing_secret: str | None = None  # kept as it is when not given


class SigningSecret(BaseModel):
    signing_secret: str | None = None  # a new one is generated (and shown once) when not given


class InboundNumber(BaseModel):
    number: InboundNumberText
    provider: SingleLine = Field(min_length=1, max_length=64)
    service_id: str | None = None


@router.post("/services", status_code=201)
async def create_service(request: Request, body: NewService, admin: Admin) -> dict[str, Any]:
    extra = body.model_dump(exclude={"name", "email_from", "live", "permissions"}, exclude_none=True)
    created = await run(
        admin.create_service(
            body.name,
            live=body.live,
            email_from=body.email_from,
            permissions=tuple(body.permissions),
            **extra,
        ),
    )
    service = await run(admin.service(created["data"]))
    fields = sorted(body.model_dump(exclude_none=True))
    note(request, created["data"], "service.created", changes=changes_between({}, service["data"], fields))
    return service


@router.get("/services")
async def list_services(admin: Admin) -> dict[str, Any]:
    return await run(admin.services())


@router.get("/services/{service_id}")
async def get_service(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.service(service_id))


@router.patch("/services/{service_id}")
async def update_service(
    request: Request, service_id: str, body: ServiceChanges, admin: Admin
) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True)
    if "contact_link" in body.model_fields_set:  # an explicit null clears it
        changes["contact_link"] = body.contact_link
    before = await run(admin.service(service_id))
    after = await run(admin.update_service(service_id, changes))
    note(
        request,
        service_id,
        "service.updated",
        changes=changes_between(before["data"], after["data"], changes),
    )
    return after


@router.put("/services/{service_id}/data-retention/{notification_type}")
async def set_retention(
    service_id: str, notification_type: str, body: Retention, admin: Admin
) -> dict[str, Any]:
    return await run(admin.set_retention(service_id, notification_type, body.days_of_retention))


@router.post("/services/{service_id}/api-keys", status_code=201)
async def create_key(request: Request, service_id: str, body: NewKey, admin: Admin) -> dict[str, Any]:
    """The combined key is in the answer once and never again."""
    result = await run(admin.create_api_key(service_id, body.name, body.key_type))
    key = result["data"]
    created = [
        change("name", None, body.name),
        change("key_type", None, key.key_type),
        change("secret", None, ""),
    ]
    note(request, service_id, "api_key.created", subject_id=key.id, changes=created)
    return {"data": {"id": key.id, "key_type": key.key_type, "key": key.combined}}


@router.get("/services/{service_id}/api-keys")
async def list_keys(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.api_keys(service_id))


@router.post("/services/{service_id}/api-keys/{key_id}/revoke")
async def revoke_key(request: Request, service_id: str, key_id: str, admin: Admin) -> dict[str, Any]:
    result = await run(admin.revoke_api_key(service_id, key_id))
    note(request, service_id, "api_key.revoked", subject_id=key_id, changes=[change("revoked", False, True)])
    return result


@router.post("/services/{service_id}/templates", status_code=201)
async def create_template(
    request: Request, service_id: str, body: NewTemplate, admin: Admin
) -> dict[str, Any]:
    result = await run(admin.create_template(service_id, **body.model_dump()))
    fields = ("name", "template_type", "subject", "postage")
    made = changes_between({}, body.model_dump(), fields)
    note(request, service_id, "template.created", subject_id=result["data"], changes=made)
    return {"data": {"id": result["data"], "version": 1}}


@router.patch("/services/{service_id}/templates/{template_id}")
async def update_template(
    request: Request, service_id: str, template_id: str, body: TemplateChanges, admin: Admin
) -> dict[str, Any]:
    result = await run(admin.update_template(service_id, template_id, body.model_dump(exclude_none=True)))
    changed = [
        change(f, None, "changed" if f == "content" else v)
        for f, v in body.model_dump(exclude_none=True).items()
    ]
    note(request, service_id, "template.updated", subject_id=template_id, changes=changed)
    return {"data": {"id": template_id, "version": result["data"]}}


@router.post("/services/{service_id}/templates/{template_id}/archive")
async def archive_template(
    request: Request, service_id: str, template_id: str, admin: Admin
) -> dict[str, Any]:
    result = await run(admin.archive_template(service_id, template_id))
    note(
        request,
        service_id,
        "template.archived",
        subject_id=template_id,
        changes=[change("archived", False, True)],
    )
    return result


@router.get("/services/{service_id}/templates/{template_id}/versions")
async def template_versions(service_id: str, template_id: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.template_versions(service_id, template_id))


@router.post("/services/{service_id}/team-members", status_code=201)
async def add_team_member(service_id: str, body: TeamMember, admin: Admin) -> dict[str, Any]:
    return await run(
        admin.add_team_member(service_id, body.email_address, body.mobile_number, body.name),
    )


@router.get("/services/{service_id}/team-members")
async def team(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.team(service_id))


@router.delete("/services/{service_id}/team-members/{email_address}")
async def remove_team_member(service_id: str, email_address: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.remove_team_member(service_id, email_address))


@router.put("/services/{service_id}/guest-list")
async def set_guest_list(service_id: str, body: GuestList, admin: Admin) -> dict[str, Any]:
    return await run(admin.set_guest_list(service_id, body.email_addresses, body.phone_numbers))


@router.get("/services/{service_id}/guest-list")
async def guest_list(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.guest_list(service_id))


IdentityKind = Literal["sms-senders", "email-reply-to", "letter-contacts"]
_KINDS = {
    "sms-senders": "sms_sender",
    "email-reply-to": "email_reply_to",
    "letter-contacts": "letter_contact",
}


@router.post("/services/{service_id}/senders/{kind}", status_code=201)
async def add_identity(service_id: str, kind: IdentityKind, body: Identity, admin: Admin) -> dict[str, Any]:
    """An SMS sender id, an email reply-to address or a letter contact block."""
    if kind != "letter-contacts":
        try:
            single_line(body.value)
        except ValueError as exc:
            raise ApiError(400, "AdminError", f"value {exc}") from None
    result = await run(
        admin.add_identity(service_id, _KINDS[kind], body.value, is_default=body.is_default),
    )
    return {"data": {"id": result["data"]}}


@router.get("/services/{service_id}/senders/{kind}")
async def identities(service_id: str, kind: IdentityKind, admin: Admin) -> dict[str, Any]:
    return await run(admin.identities(service_id, _KINDS[kind]))


@router.put("/services/{service_id}/callbacks/{callback_type}")
async def set_callback(
    request: Request, service_id: str, callback_type: str, body: Callback, admin: Admin
) -> dict[str, Any]:
    result = await run(
        admin.set_callback(service_id, callback_type, body.url, body.bearer_token, body.signing_secret),
    )
    changed = [change("url", None, body.url), change("bearer_token", None, body.bearer_token)]
    if body.signing_secret is not None:
        changed.append(change("signing_secret", None, body.signing_secret))
    note(request, service_id, "callback.set", subject_id=callback_type, changes=changed)
    return result


@router.put("/services/{service_id}/callbacks/{callback_type}/signing-secret")
async def set_callback_signing_secret(
    request: Request, service_id: str, callback_type: str, body: SigningSecret, admin: Admin
) -> dict[str, Any]:
    """Set or rotate the secret callbacks are signed with; the answer shows it, this once only."""
    secret = body.signing_secret if body.signing_secret is not None else new_signing_secret()

    async def set_secret() -> dict[str, str]:
        await admin.set_callback_signing_secret(service_id, callback_type, secret)
        return {"signing_secret": secret}

    result = await run(set_secret())
    changed = [change("signing_secret", None, secret)]
    note(request, service_id, "callback.signing_secret_set", subject_id=callback_type, changes=changed)
    return result


@router.delete("/services/{service_id}/callbacks/{callback_type}/signing-secret")
async def remove_callback_signing_secret(
    request: Request, service_id: str, callback_type: str, admin: Admin
) -> dict[str, Any]:
    result = await run(admin.set_callback_signing_secret(service_id, callback_type, None))
    removed = [change("signing_secret", "", None)]
    note(request, service_id, "callback.signing_secret_removed", subject_id=callback_type, changes=removed)
    return result


@router.delete("/services/{service_id}/callbacks/{callback_type}")
async def remove_callback(
    request: Request, service_id: str, callback_type: str, admin: Admin
) -> dict[str, Any]:
    result = await run(admin.remove_callback(service_id, callback_type))
    note(request, service_id, "callback.removed", subject_id=callback_type)
    return result


@router.get("/services/{service_id}/callbacks/{callback_type}")
async def get_callback(service_id: str, callback_type: str, admin: Admin) -> dict[str, Any]:
    """One callback's URL and ``bearer_token_set``; the bearer token itself is never shown back."""
    return await run(admin.callback(service_id, callback_type))


@router.get("/services/{service_id}/callbacks")
async def callbacks(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.callbacks(service_id))


@router.post("/inbound-numbers", status_code=201)
async def add_inbound_number(body: InboundNumber, admin: Admin) -> dict[str, Any]:
    result = await run(admin.add_inbound_number(body.number, body.provider, body.service_id))
    return {"data": {"id": result["data"]}}


@router.get("/inbound-numbers")
async def list_inbound_numbers(admin: Admin) -> dict[str, Any]:
    return await run(admin.inbound_numbers())


@router.post("/services/{service_id}/inbound-number/{number_id}")
async def assign_inbound_number(service_id: str, number_id: str, admin: Admin) -> dict[str, Any]:
    return await run(admin.assign_inbound_number(service_id, number_id))


# ---- the earlier API generations (docs/legacy-alpha.md, docs/legacy-beta.md) -----------------


class LegacySwitches(BaseModel):
    alpha: bool | None = None
    beta: bool | None = None


class NewAlphaToken(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    key_type: KeyType = "normal"


@router.get("/services/{service_id}/legacy-apis")
async def legacy_switches(service_id: str, admin: Admin, state: State) -> dict[str, Any]:
    """Whether the alpha and beta APIs answer for this service (both off unless turned on)."""
    return await run(state.legacy.described_switches(service_id))


@router.put("/services/{service_id}/legacy-apis")
async def set_legacy_switches(
    service_id: str, body: LegacySwitches, admin: Admin, state: State
) -> dict[str, Any]:
    """Turn the alpha and/or beta API on or off for this service."""
    return await run(state.legacy.set_switches(service_id, alpha=body.alpha, beta=body.beta))


@router.post("/services/{service_id}/alpha-tokens", status_code=201)
async def create_alpha_token(
    service_id: str, body: NewAlphaToken, admin: Admin, state: State
) -> dict[str, Any]:
    """A plain bearer token for the alpha API, in the answer once and never again (only its
    SHA-256 digest is kept)."""
    result = await run(state.legacy.issue_token(service_id, body.name, body.key_type))
    issued = result["data"]
    return {"data": {"id": issued.id, "key_type": body.key_type, "token": issued.token}}


@router.get("/services/{service_id}/alpha-tokens")
async def alpha_tokens(service_id: str, admin: Admin, state: State) -> dict[str, Any]:
    return await run(state.legacy.tokens(service_id))


@router.post("/services/{service_id}/alpha-tokens/{token_id}/revoke")
async def revoke_alpha_token(service_id: str, token_id: str, admin: Admin, state: State) -> dict[str, Any]:
    return await run(state.legacy.revoke_token(service_id, token_id))
