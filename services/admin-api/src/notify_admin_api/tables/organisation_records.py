"""Organisations (migration ``0022_organisations``), sharing the admin-api's ``tables.metadata``.

Configuration data owned by the admin-api (``notify_admin_api.organisations``): the bodies that run
services, with what decides a new service's place among them and the agreement they accept before
their services go live (docs/organisations.md).

* ``organisations``: name (unique), type (``central``, ``local``, ``nhs_central``, ``nhs_local``,
  ``nhs_gp``, ``emergency_service``, ``school_or_college`` or ``other``; it sets the free text
  message allowance of its services), the data processing and financial agreement (accepted or
  not, by whom, when, which version, the name and role given), whether its members may approve its
  services' requests to go live, and whether it is archived.
* ``organisation_domains``: email domains that place a new service in an organisation; each domain
  belongs to one organisation at most.
* ``organisation_members``: console users in an organisation's team, who see its services and usage.

A service's organisation is ``services.organisation_id`` (declared with ``services``; null when it
has none).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, text
from sqlalchemy.dialects.postgresql import UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

organisations = Table(
    "organisations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("organisation_type", String(32), nullable=False),
    Column("agreement_signed", Boolean, nullable=False, server_default=text("false")),
    Column("agreement_signed_by_id", ID, nullable=True),  # a console user
    Column("agreement_signed_at", TS, nullable=True),
    Column("agreement_signed_version", String(16), nullable=True),
    Column("agreement_signed_name", String(255), nullable=True),
    Column("agreement_signed_role", String(255), nullable=True),
    Column("can_approve_own_go_live_requests", Boolean, nullable=False, server_default=text("false")),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

organisation_domains = Table(
    "organisation_domains",
    metadata,
    Column("domain", String(255), primary_key=True),  # lower case, without "@"
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

organisation_members = Table(
    "organisation_members",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), primary_key=True),
    Column("user_id", ID, ForeignKey("console_users.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)
