"""The admin API's organisation routes (docs/organisations.md), under the same bearer token as the
rest of the admin API:

* ``/admin/organisations``: create (POST) and list; ``/{id}``: read and change (PATCH: name, type,
  whether its team may approve its own requests to go live, archived);
* ``/{id}/domains``: add (POST) and remove (DELETE ``/{domain}``) an email domain;
  ``POST /admin/organisations/by-email-address``: the organisation an address belongs to (in the
  body, so an address never lands in a URL);
* ``/{id}/services/{service_id}``: put a service in the organisation (PUT) or take it out (DELETE);
* ``/{id}/users``: the team; add a person by account (PUT ``/{user_id}``) or by email address
  (POST), remove (DELETE ``/{user_id}``); ``/admin/console/users/{id}/organisations``: a person's;
* ``/{id}/agreement``: a member accepts the data processing and financial agreement (POST);
* ``/{id}/usage?year=``: usage and costs of its services for a financial year;
* ``/{id}/go-live-requests``: its services' pending requests, and their approval (POST
  ``/{service_id}/approve``), which makes the service live;
* ``/admin/console/add-service``: a console user creates a service (``/add-service-choices`` first:
  the organisations they may put it in and the default; ``no_organisation`` for none of them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from notify_admin_api import organisation_services
from notify_admin_api.console_integration import financial_year_of
from notify_admin_api.organisations import OrganisationStore
from notify_admin_api.routes import Admin, run
from notify_admin_api.state import State
from notify_admin_api.text_fields import SingleLine
from notify_common.config_changes import announce

router = APIRouter(prefix="/admin", tags=["Organisations"])


async def organisation_store(_: Admin, state: State) -> OrganisationStore:
    """The organisations, for a caller the admin API lets in (``routes.admin_store``)."""
    return OrganisationStore(state.store.engine)


Organisations = Annotated[OrganisationStore, Depends(organisation_store)]
Name = Annotated[SingleLine, Field(min_length=1, max_length=255)]


class NewOrganisation(BaseModel):
    name: Name
    organisation_type: str = Field(max_length=32)


class OrganisationChanges(BaseModel):
    name: Name | None = None
    organisation_type: str | None = Field(default=None, max_length=32)
    can_approve_own_go_live_requests: bool | None = None
    archived: bool | None = None


class NewDomain(BaseModel):
    domain: str = Field(min_length=1, max_length=255)


class EmailAddress(BaseModel):
    email_address: str = Field(min_length=1, max_length=255)


class Acceptance(BaseModel):
    user_id: str
    version: Annotated[SingleLine, Field(min_length=1, max_length=16)]
    name: Name
    role: Name


class Decision(BaseModel):
    decided_by: str


class NewService(BaseModel):
    name: Name
    user_id: str
    organisation_id: str | None = None
    no_organisation: bool = False  # even when the person's email domain has one


@router.post("/organisations", status_code=201)
async def create(body: NewOrganisation, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.create(body.name, body.organisation_type))


@router.get("/organisations")
async def listing(
    organisations: Organisations, include_archived: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    return await run(organisations.listing(include_archived=include_archived))


@router.post("/organisations/by-email-address")
async def by_email_address(body: EmailAddress, organisations: Organisations) -> dict[str, Any]:
    """The organisation an email address's domain belongs to, or null."""
    return await run(organisations.by_email_address(body.email_address))


@router.get("/organisations/{organisation_id}")
async def organisation(organisation_id: str, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.organisation(organisation_id))


@router.patch("/organisations/{organisation_id}")
async def change(
    organisation_id: str, body: OrganisationChanges, organisations: Organisations
) -> dict[str, Any]:
    return await run(organisations.update(organisation_id, body.model_dump(exclude_none=True)))


@router.post("/organisations/{organisation_id}/domains", status_code=201)
async def add_domain(organisation_id: str, body: NewDomain, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.add_domain(organisation_id, body.domain))


@router.delete("/organisations/{organisation_id}/domains/{domain}")
async def remove_domain(organisation_id: str, domain: str, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.remove_domain(organisation_id, domain))


@router.put("/organisations/{organisation_id}/services/{service_id}")
async def add_service(organisation_id: str, service_id: str, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.add_service(organisation_id, service_id))


@router.delete("/organisations/{organisation_id}/services/{service_id}")
async def remove_service(
    organisation_id: str, service_id: str, organisations: Organisations
) -> dict[str, Any]:
    return await run(organisations.remove_service(organisation_id, service_id))


@router.get("/organisations/{organisation_id}/users")
async def members(organisation_id: str, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.members(organisation_id))


@router.put("/organisations/{organisation_id}/users/{user_id}")
async def add_member(organisation_id: str, user_id: str, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.add_member(organisation_id, user_id))


@router.post("/organisations/{organisation_id}/users")
async def add_member_by_email(
    organisation_id: str, body: EmailAddress, organisations: Organisations
) -> dict[str, Any]:
    return await run(organisations.add_member_by_email(organisation_id, body.email_address))


@router.delete("/organisations/{organisation_id}/users/{user_id}")
async def remove_member(organisation_id: str, user_id: str, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.remove_member(organisation_id, user_id))


@router.get("/console/users/{user_id}/organisations")
async def of_user(user_id: str, organisations: Organisations) -> dict[str, Any]:
    return await run(organisations.of_user(user_id))


@router.post("/organisations/{organisation_id}/agreement")
async def accept_agreement(
    organisation_id: str, body: Acceptance, organisations: Organisations
) -> dict[str, Any]:
    return await run(
        organisations.accept_agreement(
            organisation_id, user_id=body.user_id, version=body.version, name=body.name, role=body.role
        )
    )


@router.get("/organisations/{organisation_id}/usage")
async def usage(
    organisation_id: str,
    organisations: Organisations,
    state: State,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """Usage and costs for the financial year starting 1 April ``year`` (default: this one)."""
    chosen = year if year is not None else financial_year_of(datetime.now(UTC).date())
    return await run(organisation_services.usage(organisations, organisation_id, chosen, state.settings))


@router.get("/organisations/{organisation_id}/go-live-requests")
async def go_live_requests(
    organisation_id: str, admin: Admin, organisations: Organisations
) -> dict[str, Any]:
    return await run(organisation_services.go_live_requests(admin, organisations, organisation_id))


@router.post("/organisations/{organisation_id}/go-live-requests/{service_id}/approve")
async def approve(
    organisation_id: str,
    service_id: str,
    body: Decision,
    admin: Admin,
    organisations: Organisations,
    state: State,
) -> dict[str, Any]:
    answer = await run(
        organisation_services.approve(
            admin, organisations, state.console.accounts, organisation_id, service_id, body.decided_by
        )
    )
    await announce(state.redis, service_id)  # the api-gateway drops its trial-mode view at once
    return answer


@router.get("/console/users/{user_id}/add-service-choices")
async def add_service_choices(user_id: str, organisations: Organisations, state: State) -> dict[str, Any]:
    return await run(organisation_services.choices(organisations, state.console.accounts, user_id))


@router.post("/console/add-service", status_code=201)
async def add_new_service(
    body: NewService, admin: Admin, organisations: Organisations, state: State
) -> dict[str, Any]:
    return await run(
        organisation_services.add_service(
            admin,
            organisations,
            state.console.teams,
            name=body.name,
            user_id=body.user_id,
            organisation_id=body.organisation_id,
            no_organisation=body.no_organisation,
        )
    )
