"""Tables of the delivery lifecycle (migration ``0004_lifecycle``), beside those of ``tables.py``.

All but ``callback_deliveries`` are projections of the event log, written only by the projector and
rebuilt from the topics by ``notify-projector rebuild`` (docs/lifecycle.md):

* ``provider_references``: a provider's own message id (an SES MessageId) to our notification, so a
  receipt that names only the provider's id can be resolved;
* ``jobs``: CSV jobs with their status and progress counts (Notify's job statuses, with spaces);
* ``complaints``, ``callback_attempts``: what they say;
* ``ft_notification_status``, ``ft_billing``, ``ft_processing_time``: Notify's daily facts, by the
  London date the notification was created. They hold no personal data and outlive retention.

``inbound_sms`` is declared in ``tables_api`` (the API reads it); the projector adds ``provider``
and ``provider_reference`` to it. ``callback_deliveries`` belongs to the callbacks service: one row
per callback owed to a service, so a callback is attempted at most five times and sent once.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, String, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from notify_common.db.tables import TS, metadata

ID = UUID(as_uuid=False)
NO_JOB = "00000000-0000-0000-0000-000000000000"

provider_references = Table(
    "provider_references",
    metadata,
    Column("reference", String(255), primary_key=True),
    Column("provider", String(64), nullable=False),
    Column("notification_id", ID, nullable=False),
    Column("service_id", ID, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, nullable=True),  # null until the JobRequested event is projected
    Column("template_id", ID, nullable=True),
    Column("template_version", Integer, nullable=True),
    Column("original_file_name", Text, nullable=True),
    Column("created_by", String(255), nullable=True),
    Column("notification_count", Integer, nullable=False, server_default=text("0")),
    Column("rows_emitted", Integer, nullable=False, server_default=text("0")),
    Column("notifications_requested", Integer, nullable=False, server_default=text("0")),
    Column("notifications_sent", Integer, nullable=False, server_default=text("0")),
    Column("notifications_delivered", Integer, nullable=False, server_default=text("0")),
    Column("notifications_failed", Integer, nullable=False, server_default=text("0")),
    Column("job_status", String(32), nullable=True),
    Column("job_status_at", TS, nullable=True),
    Column("scheduled_for", TS, nullable=True),
    Column("created_at", TS, nullable=True),
    Column("processing_started", TS, nullable=True),
    Column("processing_finished", TS, nullable=True),
    Column("updated_at", TS, nullable=True),
)

complaints = Table(
    "complaints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("notification_id", ID, nullable=True),
    Column("service_id", ID, nullable=False),
    Column("feedback_id", String(255), nullable=True),
    Column("complaint_type", String(255), nullable=True),
    Column("complaint_date", TS, nullable=True),
    Column("created_at", TS, nullable=False),
)

callback_attempts = Table(
    "callback_attempts",
    metadata,
    Column("event_id", ID, primary_key=True),
    Column("service_id", ID, nullable=False),
    Column("notification_id", ID, nullable=True),
    Column("inbound_sms_id", ID, nullable=True),
    Column("callback_type", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("reason", Text, nullable=True),
    Column("occurred_at", TS, nullable=False),
)

ft_notification_status = Table(
    "ft_notification_status",
    metadata,
    Column("bst_date", Date, primary_key=True),
    Column("template_id", ID, primary_key=True),
    Column("service_id", ID, primary_key=True),
    Column("job_id", ID, primary_key=True),  # NO_JOB for one-off notifications
    Column("notification_type", String(16), primary_key=True),
    Column("key_type", String(16), primary_key=True),
    Column("notification_status", String(32), primary_key=True),
    Column("notification_count", Integer, nullable=False),
)

ft_billing = Table(
    "ft_billing",
    metadata,
    Column("bst_date", Date, primary_key=True),
    Column("template_id", ID, primary_key=True),
    Column("service_id", ID, primary_key=True),
    Column("notification_type", String(16), primary_key=True),
    Column("provider", String(64), primary_key=True),
    Column("rate_multiplier", Integer, primary_key=True),
    Column("international", Boolean, primary_key=True),
    Column("postage", String(16), primary_key=True),
    Column("billable_units", BigInteger, nullable=False),
    Column("notifications_sent", Integer, nullable=False),
)

ft_processing_time = Table(
    "ft_processing_time",
    metadata,
    Column("bst_date", Date, primary_key=True),
    Column("messages_total", Integer, nullable=False),
    Column("messages_within_10_secs", Integer, nullable=False),
)

callback_deliveries = Table(
    "callback_deliveries",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("service_id", ID, nullable=False),
    Column("callback_type", String(32), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_kafka_attempt", Integer, nullable=False, server_default=text("-1")),
    Column("outcome", String(16), nullable=True),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
)

# The projections, in the order the rebuild creates and swaps them.
PROJECTION_TABLES: tuple[str, ...] = (
    "notifications",
    "provider_references",
    "jobs",
    "inbound_sms",
    "complaints",
    "callback_attempts",
    "ft_notification_status",
    "ft_billing",
    "ft_processing_time",
)
