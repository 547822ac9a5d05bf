"""A service's settings beside its configuration (``configuration``): its sender identities (SMS
sender ids, email reply-to addresses, letter contact blocks), its callback URLs with their bearer
tokens (encrypted), its data retention and the inbound numbers. Configuration data, written by the
admin-api.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

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
