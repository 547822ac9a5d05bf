"""Email and letter branding (migration ``0020_branding``), sharing the admin-api's ``tables.metadata``.

Configuration data written by the admin-api (``notify_admin_api.branding``): platform admins keep
a pool of brandings and choose one of each kind per service, as GOV.UK Notify does.

* ``email_branding``: a name, a type (``notify_common.brand_types.EMAIL_BRAND_TYPES``), an optional
  colour (``#rrggbb``), text shown beside the logo, and the logo's key in the branding bucket.
* ``letter_branding``: a name and the key of the logo printed top left on the first page.
* ``service_branding``: a service's choice. No row, or no email branding and ``no_email_branding``
  false, is GOV.UK's own branding (Notify's default); ``no_email_branding`` is no branding at all.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, text
from sqlalchemy.dialects.postgresql import UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

email_branding = Table(
    "email_branding",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("brand_type", String(16), nullable=False),
    Column("colour", String(7), nullable=True),
    Column("text", String(255), nullable=True),
    Column("logo", String(255), nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("updated_at", TS, nullable=True),
)

letter_branding = Table(
    "letter_branding",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("logo", String(255), nullable=False),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("updated_at", TS, nullable=True),
)

service_branding = Table(
    "service_branding",
    metadata,
    Column("service_id", ID, ForeignKey("services.id"), primary_key=True),
    Column("email_branding_id", ID, ForeignKey("email_branding.id"), nullable=True),
    Column("no_email_branding", Boolean, nullable=False, server_default=text("false")),
    Column("letter_branding_id", ID, ForeignKey("letter_branding.id"), nullable=True),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
)
