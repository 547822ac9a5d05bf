"""The configuration of services, as SQLAlchemy Core: services, API keys, templates and their
versions, team members and the guest list. Written by the admin-api, which alone owns them; the
data plane reads them through the ``config_*`` read contracts (``notify_common.db.contracts``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

services = Table(
    "services",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("restricted", Boolean, nullable=False, server_default=text("true")),
    Column("email_from", String(255), nullable=False),
    Column("prefix_sms", Boolean, nullable=False, server_default=text("true")),
    Column("sms_sender", String(11), nullable=False, server_default=text("'GOVUK'")),
    Column(
        "permissions",
        ARRAY(String(64)),
        nullable=False,
        server_default=text("ARRAY['sms','email','letter']::varchar[]"),
    ),
    Column("rate_limit", Integer, nullable=False, server_default=text("3000")),
    Column("sms_message_limit", Integer, nullable=False, server_default=text("250000")),
    Column("email_message_limit", Integer, nullable=False, server_default=text("250000")),
    Column("letter_message_limit", Integer, nullable=False, server_default=text("20000")),
    Column("international_sms_message_limit", Integer, nullable=False, server_default=text("100")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    # A URL, email address or phone number for the people the service sends files to (0010).
    Column("contact_link", String(255), nullable=True),
    # The organisation it belongs to (0022; ``organisation_records``), if any.
    Column("organisation_id", UUID(as_uuid=False), nullable=True, index=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("secret", Text, nullable=False),  # encrypted at rest (notify_common.secrets)
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("expiry_date", TS, nullable=True),
)
Index(
    "uix_service_to_key_name",
    api_keys.c.service_id,
    api_keys.c.name,
    unique=True,
    postgresql_where=api_keys.c.expiry_date.is_(None),
)

_template_columns = (
    ("name", String(255), False),
    ("template_type", String(16), False),
    ("subject", Text, True),
    ("content", Text, False),
    ("postage", String(16), True),
    ("letter_contact_block", Text, True),
    ("created_by", String(255), True),
    # Languages (0021): the texts above are in ``language``; ``language_variants`` holds the other
    # languages' texts as {tag: {"subject": ..., "content": ...}} (notify_common.templates.languages).
    # A letter in ``letter_languages`` "welsh_then_english" prints its Welsh subject and content
    # first; "english" (every other letter) has no Welsh part. Null for text messages and emails.
    ("letter_languages", String(32), True),
    ("letter_welsh_subject", Text, True),
    ("letter_welsh_content", Text, True),
)


def _language_columns() -> tuple[Column[str], Column[dict[str, dict[str, str | None]]]]:
    return (
        Column("language", String(35), nullable=False, server_default=text("'en'")),
        Column("language_variants", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


templates = Table(
    "templates",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("updated_at", TS, nullable=True),
    *(Column(name, type_, nullable=nullable) for name, type_, nullable in _template_columns),
    # "Add an unsubscribe link" (0019): email templates only.
    Column("has_unsubscribe_link", Boolean, nullable=False, server_default=text("false")),
    *_language_columns(),
)

template_versions = Table(
    "template_versions",
    metadata,
    Column("id", UUID(as_uuid=False), nullable=False),
    Column("version", Integer, nullable=False),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    *(Column(name, type_, nullable=nullable) for name, type_, nullable in _template_columns),
    # "Add an unsubscribe link" (0019): email templates only.
    Column("has_unsubscribe_link", Boolean, nullable=False, server_default=text("false")),
    *_language_columns(),
    PrimaryKeyConstraint("id", "version"),
)

team_members = Table(
    "team_members",
    metadata,
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False),
    Column("email_address", String(255), nullable=False),
    Column("mobile_number", String(32), nullable=True),
    Column("name", String(255), nullable=True),
    UniqueConstraint("service_id", "email_address"),
)

guest_list = Table(
    "guest_list",
    metadata,
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False),
    Column("recipient_type", String(16), nullable=False),  # email | mobile
    Column("recipient", String(255), nullable=False),  # normalised
    UniqueConstraint("service_id", "recipient_type", "recipient"),
)
