"""Tables the public and admin APIs own, beside the configuration data of ``tables.py``.

* per-service sender identities (SMS sender ids, email reply-to addresses, letter contact blocks),
  callback URLs with their bearer tokens (encrypted), data retention and inbound numbers: ordinary
  configuration data, written by the admin API;
* ``scheduled_notifications``: notifications accepted with ``scheduled_for``, held here (durably)
  by the api-gateway until the job-splitter publishes them at their time (``scheduled_releases``
  records that; ``published_at`` here is no longer written).

``inbound_sms`` is written by the projector (received text messages) and only read by the API; it
is declared on a ``MetaData`` of its own so the projector's module may declare the same table on
the shared ``metadata`` without a clash. Migration ``0002_api`` creates it if it does not exist.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notify_common.db.tables import TS, metadata

service_sms_senders = Table(
    "service_sms_senders",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False, index=True),
    Column("sms_sender", String(11), nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("inbound_number_id", UUID(as_uuid=False), nullable=True),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

service_email_reply_to = Table(
    "service_email_reply_to",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False, index=True),
    Column("email_address", String(255), nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

service_letter_contacts = Table(
    "service_letter_contacts",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False, index=True),
    Column("contact_block", Text, nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

# callback_type: delivery_status | complaint | inbound_sms | returned_letter
service_callback_api = Table(
    "service_callback_api",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False),
    Column("callback_type", String(32), nullable=False),
    Column("url", String(255), nullable=False),
    Column("bearer_token", Text, nullable=False),  # encrypted at rest (notify_common.secrets)
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("updated_at", TS, nullable=True),
    # Standard Webhooks signing secret, encrypted like the token; added by 0004_lifecycle.
    Column("signing_secret", Text, nullable=True),
    UniqueConstraint("service_id", "callback_type"),
)

inbound_numbers = Table(
    "inbound_numbers",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("provider", String(64), nullable=False),
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=True, unique=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

service_data_retention = Table(
    "service_data_retention",
    metadata,
    Column("service_id", UUID(as_uuid=False), ForeignKey("services.id"), nullable=False),
    Column("notification_type", String(16), nullable=False),
    Column("days_of_retention", Integer, nullable=False),
    UniqueConstraint("service_id", "notification_type"),
)

scheduled_notifications = Table(
    "scheduled_notifications",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),  # the notification id
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("topic", String(255), nullable=False),  # logical topic name
    Column("payload", LargeBinary, nullable=False),  # the encoded *Requested event
    Column("presented", JSONB, nullable=False),  # what GET shows until the projection has it
    Column("scheduled_for", TS, nullable=False),
    Column("published_at", TS, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)
Index(
    "ix_scheduled_notifications_due",
    scheduled_notifications.c.scheduled_for,
    postgresql_where=scheduled_notifications.c.published_at.is_(None),
)

inbound_sms_metadata = MetaData()

inbound_sms = Table(
    "inbound_sms",
    inbound_sms_metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("user_number", String(255), nullable=False),
    Column("notify_number", String(255), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", TS, nullable=False),
)
