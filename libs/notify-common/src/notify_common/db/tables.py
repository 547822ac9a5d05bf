"""Every table of the platform, as SQLAlchemy Core. Two kinds live here:

* configuration data (services, API keys, templates and their versions, team members, guest list),
  owned (written) by the admin-api and read by the api-gateway;
* projections of the event log (notifications, send claims), owned by the projector and the
  senders. Projections can be dropped and rebuilt from the topics.

Which service owns (alone writes) each table of every ``tables*`` module is ``owners.TABLE_OWNERS``.
Migrations in ``migrations/versions`` are written by hand to match.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()

TS = DateTime(timezone=True)

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
    # The organisation it belongs to (0022; tables_organisations), if any.
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

# ---- projections of the event log -------------------------------------------------------------

# A status event can reach the projector before its notification's request event (they travel on
# different topics), so every column the request fills is nullable; readers skip rows without
# ``created_at``, which only the request sets.
notifications = Table(
    "notifications",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("template_id", UUID(as_uuid=False), nullable=True),
    Column("template_version", Integer, nullable=True),
    Column("notification_type", String(16), nullable=True),
    Column("key_type", String(16), nullable=True),
    Column("api_key_id", UUID(as_uuid=False), nullable=True),
    Column("job_id", UUID(as_uuid=False), nullable=True),
    Column("job_row_number", Integer, nullable=True),
    # Normalised (447700900123, lower-cased email): what searches, guest lists and senders match.
    Column("recipient", String(255), nullable=True),
    Column("address", JSONB, nullable=True),
    Column("client_reference", String(1000), nullable=True),
    Column("status", String(32), nullable=False),
    Column("body", Text, nullable=True),
    Column("subject", Text, nullable=True),
    Column("postage", String(16), nullable=True),
    Column("international", Boolean, nullable=False, server_default=text("false")),
    Column("billable_units", Integer, nullable=False, server_default=text("0")),
    Column("rate_multiplier", Integer, nullable=False, server_default=text("1")),
    Column("sent_by", String(64), nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("created_at", TS, nullable=True),
    Column("sent_at", TS, nullable=True),
    Column("updated_at", TS, nullable=True),
    Column("completed_at", TS, nullable=True),
    # The log position that last changed this row; makes replays and duplicates harmless.
    Column("last_event_at", TS, nullable=True),
    # What GET reads back (0012): the recipient as the service gave it (null in rows projected
    # from older events, where ``recipient`` stands in), the unsubscribe URL and a held send's time.
    Column("recipient_as_sent", Text, nullable=True),
    Column("one_click_unsubscribe_url", Text, nullable=True),
    Column("scheduled_for", TS, nullable=True),
    # The language of the template's texts the notification was sent in (0021); null in rows
    # projected from events written before it was recorded.
    Column("language", String(35), nullable=True),
)
Index(
    "ix_notifications_service_created",
    notifications.c.service_id,
    notifications.c.key_type,
    notifications.c.created_at.desc(),
)
Index("ix_notifications_client_reference", notifications.c.service_id, notifications.c.client_reference)
# The admin-api's reports page through a service's messages by (created_at, id) (migration 0025).
Index(
    "ix_notifications_service_created_id",
    notifications.c.service_id,
    notifications.c.created_at.desc(),
    notifications.c.id.desc(),
)
