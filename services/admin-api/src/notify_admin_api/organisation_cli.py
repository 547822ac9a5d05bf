"""``notify-admin organisations create|list|add-domain|add-service``: organisations from the
command line (docs/organisations.md), beside the other ``notify-admin`` commands."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from notify_admin_api.organisation_rules import ORGANISATION_TYPES
from notify_admin_api.organisations import OrganisationStore
from notify_admin_api.store import AdminStore


def add_parser(sub: Any) -> None:
    p = sub.add_parser("organisations", help="create and list organisations, add domains and services")
    commands = p.add_subparsers(dest="organisations_command", required=True)
    c = commands.add_parser("create", help="create an organisation; prints its id")
    c.add_argument("--name", required=True)
    c.add_argument("--type", choices=ORGANISATION_TYPES, required=True)
    c = commands.add_parser("list", help="every organisation (not archived) as JSON")
    c = commands.add_parser("add-domain", help="an email domain that places new services in it")
    c.add_argument("--organisation-id", required=True)
    c.add_argument("--domain", required=True)
    c = commands.add_parser("add-service", help="put an existing service in the organisation")
    c.add_argument("--organisation-id", required=True)
    c.add_argument("--service-id", required=True)


def command(args: argparse.Namespace) -> Callable[[AdminStore], Awaitable[Any]]:
    c = args.organisations_command

    async def run(a: AdminStore) -> Any:
        organisations = OrganisationStore(a.engine)
        if c == "create":
            return (await organisations.create(args.name, args.type))["id"]
        if c == "list":
            return [
                {
                    "id": o["id"],
                    "name": o["name"],
                    "type": o["organisation_type"],
                    "services": o["service_count"],
                }
                for o in await organisations.listing()
            ]
        if c == "add-domain":
            return (await organisations.add_domain(args.organisation_id, args.domain))["domains"]
        found = await organisations.add_service(args.organisation_id, args.service_id)
        return [s["id"] for s in found["services"]]

    return run
