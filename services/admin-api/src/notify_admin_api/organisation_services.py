"""What an organisation does with its services (docs/organisations.md): its usage and costs for a
financial year (each service's bill at the free allowance of the organisation's type, summed), its
services' pending requests to go live and their approval at organisation level, and a new service
created by a console user in trial mode, placed in an organisation and with its creator holding
every permission."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import text

from notify_admin_api.console_accounts import PERMISSIONS, AccountStore
from notify_admin_api.console_integration import _approve, _requests, bill, prices
from notify_admin_api.console_teams import TeamStore
from notify_admin_api.organisation_rules import free_sms_allowance, trial_limits
from notify_admin_api.organisations import OrganisationStore
from notify_admin_api.settings import AdminApiSettings
from notify_admin_api.store import AdminError, AdminStore

BILLING = text("""
SELECT service_id, date_trunc('month', bst_date)::date AS month, notification_type, postage,
       sum(billable_units * rate_multiplier) AS units, sum(notifications_sent) AS sent
FROM projection_ft_billing
WHERE service_id = ANY(CAST(:service_ids AS uuid[])) AND bst_date >= :start AND bst_date < :end
GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4
""")
NOT_YOURS = "You cannot add a service to this organisation"
NO_AGREEMENT = "The organisation has not accepted the data processing and financial agreement"
NOT_ALLOWED = "Only platform admins, or this organisation's team when it may approve its own, can approve"


# ---- usage ------------------------------------------------------------------------------------


async def usage(
    organisations: OrganisationStore, organisation_id: str, year: int, settings: AdminApiSettings
) -> dict[str, Any]:
    """Each service's usage and costs in the financial year starting 1 April ``year`` (its free
    text message allowance applied to it alone), and their sum."""
    organisation = await organisations.organisation(organisation_id)
    chosen = {**prices(settings, year)}
    chosen["free_sms_fragments"] = free_sms_allowance(organisation["organisation_type"], year)
    ids = [s["id"] for s in organisation["services"]]
    rows: list[dict[str, Any]] = []
    if ids:
        params = {
            "service_ids": "{" + ",".join(ids) + "}",
            "start": date(year, 4, 1),
            "end": date(year + 1, 4, 1),
        }
        async with organisations.engine.connect() as conn:
            rows = [dict(r) for r in (await conn.execute(BILLING, params)).mappings()]
    listed = []
    for service in organisation["services"]:
        own = [r for r in rows if str(r["service_id"]) == service["id"]]
        billed = bill(year, own, chosen)
        listed.append(
            {
                "service_id": service["id"],
                "service_name": service["name"],
                "live": service["live"],
                "sms": billed["sms"],
                "emails": billed["emails"],
                "letters": {"sent": billed["letters"]["sent"], "cost": billed["letters"]["cost"]},
                "total_cost": billed["total_cost"],
            }
        )
    return {
        "year": year,
        "organisation_id": organisation_id,
        "free_sms_allowance_per_service": chosen["free_sms_fragments"],
        "services": listed,
        "totals": {
            "sms_fragments": sum(s["sms"]["fragments"] for s in listed),
            "sms_free_allowance": sum(s["sms"]["free_allowance"] for s in listed),
            "sms_charged": sum(s["sms"]["charged"] for s in listed),
            "sms_cost": round(sum(s["sms"]["cost"] for s in listed), 2),
            "emails": sum(s["emails"]["sent"] for s in listed),
            "letters": sum(s["letters"]["sent"] for s in listed),
            "letter_cost": round(sum(s["letters"]["cost"] for s in listed), 2),
            "total_cost": round(sum(s["total_cost"] for s in listed), 2),
        },
    }


# ---- going live at organisation level --------------------------------------------------------


async def go_live_requests(
    admin: AdminStore, organisations: OrganisationStore, organisation_id: str
) -> list[dict[str, Any]]:
    await organisations.organisation(organisation_id)  # 404 for an unknown organisation
    return await _requests(
        admin,
        "r.status = 'pending' AND s.organisation_id = :organisation_id",
        organisation_id=organisation_id,
    )


async def approve(
    admin: AdminStore,
    organisations: OrganisationStore,
    accounts: AccountStore,
    organisation_id: str,
    service_id: str,
    decided_by: str,
) -> dict[str, Any]:
    """Approves a service's pending request and makes it live, for a platform admin or, when the
    organisation may approve its own, a member of its team."""
    organisation = await organisations.organisation(organisation_id)
    person = await accounts.user(decided_by)
    if not person["platform_admin"]:
        members = {m["id"] for m in await organisations.members(organisation_id)}
        if decided_by not in members or not organisation["can_approve_own_go_live_requests"]:
            raise AdminError(NOT_ALLOWED, 403)
    pending = {r["service_id"] for r in await go_live_requests(admin, organisations, organisation_id)}
    if service_id not in pending:
        raise AdminError("There is no request to go live for this service in this organisation", 404)
    if not organisation["agreement_signed"]:
        raise AdminError(NO_AGREEMENT)
    await admin.update_service(service_id, {"live": True})
    return await _approve(admin, service_id, decided_by)


# ---- a new service from the console -----------------------------------------------------------


def email_safe(name: str) -> str:
    """The local part a service's emails come from, made from its name: 'Tax & Benefits' is
    'tax.benefits'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", ".", ascii_name).strip(".") or "service"


async def choices(organisations: OrganisationStore, accounts: AccountStore, user_id: str) -> dict[str, Any]:
    """The organisations a person may put a new service in (those they are a team member of, the
    one their email domain belongs to; every one for a platform admin) and the default: the one
    their email domain belongs to, as Notify places a new service."""
    person = await accounts.user(user_id)
    by_domain = await organisations.by_email_address(person["email_address"])
    listed = (
        await organisations.listing() if person["platform_admin"] else await organisations.of_user(user_id)
    )
    found = {o["id"]: o for o in listed}
    if by_domain is not None:
        found.setdefault(by_domain["id"], by_domain)
    return {
        "organisations": [
            {"id": o["id"], "name": o["name"], "organisation_type": o["organisation_type"]}
            for o in sorted(found.values(), key=lambda o: str(o["name"]).lower())
        ],
        "default": by_domain["id"] if by_domain else None,
    }


async def add_service(
    admin: AdminStore,
    organisations: OrganisationStore,
    teams: TeamStore,
    *,
    name: str,
    user_id: str,
    organisation_id: str | None,
    no_organisation: bool = False,
) -> dict[str, Any]:
    """A new trial-mode service in the organisation chosen (one of ``choices``; none chosen: the
    default, unless ``no_organisation``), its creator a member with every permission."""
    offered = await choices(organisations, teams.accounts, user_id)
    allowed = {o["id"]: o for o in offered["organisations"]}
    chosen = None if no_organisation else organisation_id or offered["default"]
    if chosen is not None and chosen not in allowed:
        raise AdminError(NOT_YOURS, 403)
    organisation_type = allowed[chosen]["organisation_type"] if chosen else "other"
    limits = trial_limits(organisation_type)
    service_id = await admin.create_service(
        name.strip(),
        live=False,
        email_from=email_safe(name),
        sms_message_limit=limits["sms"],
        email_message_limit=limits["email"],
        letter_message_limit=limits["letter"],
        international_sms_message_limit=limits["international_sms"],
    )
    if chosen is not None:
        await organisations.add_service(chosen, service_id)
    await teams.set_membership(service_id, user_id, list(PERMISSIONS))
    return {"service_id": service_id, "organisation_id": chosen}
