"""The admin API's branding routes (platform admins): the pools of email and letter brandings,
their logos, and each service's choice.

* ``POST /admin/branding-logos/{email|letter}`` takes the logo file as the body and answers its
  ``logo`` key, which a branding then names; ``GET`` of that key answers the file.
* ``/admin/email-branding`` and ``/admin/letter-branding``: create (POST), list, read, change (PATCH).
* ``/admin/services/{id}/branding``: read, and choose (PATCH) the email branding (``govuk``,
  ``none`` or a pool id) and the letter branding (a pool id or null).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from notify_admin_api.branding import BrandingStore
from notify_admin_api.branding_logos import LogoKind, check_logo, new_logo_key
from notify_admin_api.routes import Admin, run
from notify_admin_api.state import State
from notify_admin_api.store import AdminError
from notify_admin_api.text_fields import SingleLine

router = APIRouter(prefix="/admin", tags=["Branding"])
BrandType = Literal["govuk", "both", "org", "org_banner"]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
LogoKey = Annotated[str, Field(min_length=1, max_length=255)]


async def branding_store(_: Admin, state: State) -> BrandingStore:
    """The branding store, for a caller the admin API lets in (``routes.admin_store``)."""
    return state.branding


Branding = Annotated[BrandingStore, Depends(branding_store)]


class NewEmailBranding(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=255)
    brand_type: BrandType = "org"
    colour: Colour | None = None
    text: SingleLine | None = Field(default=None, max_length=255)
    logo: LogoKey | None = None


class EmailBrandingChanges(BaseModel):
    name: SingleLine | None = Field(default=None, min_length=1, max_length=255)
    brand_type: BrandType | None = None
    colour: Colour | None = None
    text: SingleLine | None = Field(default=None, max_length=255)
    logo: LogoKey | None = None


class NewLetterBranding(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=255)
    logo: LogoKey


class LetterBrandingChanges(BaseModel):
    name: SingleLine | None = Field(default=None, min_length=1, max_length=255)
    logo: LogoKey | None = None


class ServiceBrandingChoice(BaseModel):
    email_branding: str | None = Field(
        default=None, description="govuk (the default), none, or the id of an email branding"
    )
    letter_branding: str | None = Field(
        default=None, description="the id of a letter branding, or null for none"
    )


def _changes(body: BaseModel, *, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields the request gave; a null clears only a field that may be empty."""
    given = body.model_dump(exclude_unset=True)
    return {k: v for k, v in given.items() if v is not None or k in nullable}


@router.post("/branding-logos/{kind}", status_code=201)
async def upload_logo(kind: LogoKind, request: Request, _: Branding, state: State) -> dict[str, Any]:
    async def store() -> dict[str, str]:
        logo = check_logo(await request.body(), kind, state.settings.branding_logo_max_bytes)
        key = new_logo_key(kind, logo)
        await state.logos.put(key, logo)
        return {"logo": key, "content_type": logo.content_type}

    return await run(store())


@router.get("/branding-logos/{kind}/{name}")
async def read_logo(kind: LogoKind, name: str, _: Branding, state: State) -> Response:
    async def read() -> tuple[bytes, str]:
        found = await state.logos.get(f"{kind}/{name}")
        if found is None:
            raise AdminError("Logo not found", 404)
        return found

    data, content_type = (await run(read()))["data"]
    return Response(
        data,
        media_type=content_type,
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"},
    )


@router.post("/email-branding", status_code=201)
async def create_email_branding(body: NewEmailBranding, store: Branding) -> dict[str, Any]:
    return await run(store.create_email_branding(body.model_dump()))


@router.get("/email-branding")
async def email_brandings(store: Branding) -> dict[str, Any]:
    return await run(store.email_brandings())


@router.get("/email-branding/{branding_id}")
async def email_branding(branding_id: str, store: Branding) -> dict[str, Any]:
    return await run(store.email_branding(branding_id))


@router.patch("/email-branding/{branding_id}")
async def update_email_branding(
    branding_id: str, body: EmailBrandingChanges, store: Branding
) -> dict[str, Any]:
    changes = _changes(body, nullable=("colour", "text", "logo"))
    return await run(store.update_email_branding(branding_id, changes))


@router.post("/letter-branding", status_code=201)
async def create_letter_branding(body: NewLetterBranding, store: Branding) -> dict[str, Any]:
    return await run(store.create_letter_branding(body.name, body.logo))


@router.get("/letter-branding")
async def letter_brandings(store: Branding) -> dict[str, Any]:
    return await run(store.letter_brandings())


@router.get("/letter-branding/{branding_id}")
async def letter_branding(branding_id: str, store: Branding) -> dict[str, Any]:
    return await run(store.letter_branding(branding_id))


@router.patch("/letter-branding/{branding_id}")
async def update_letter_branding(
    branding_id: str, body: LetterBrandingChanges, store: Branding
) -> dict[str, Any]:
    return await run(store.update_letter_branding(branding_id, _changes(body)))


@router.get("/services/{service_id}/branding")
async def service_branding(service_id: str, store: Branding) -> dict[str, Any]:
    return await run(store.service_branding(service_id))


@router.patch("/services/{service_id}/branding")
async def choose_branding(service_id: str, body: ServiceBrandingChoice, store: Branding) -> dict[str, Any]:
    changes = _changes(body, nullable=("letter_branding",))
    return await run(store.choose(service_id, changes))
