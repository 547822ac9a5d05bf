"""The projector's tables: projections of the event log, written only by the projector and
rebuilt from the topics by ``notify-projector rebuild`` (docs/lifecycle.md), and the unsubscribe
requests it records from their events.

* ``notifications``: every notification with its latest status (migrations 0001, 0004, 0012, 0021, 0028);
* ``notifications_in_flight`` (0029): the id of every email and text message whose status is
  ``sending`` or ``pending``, written in the same statements' transaction as its row, so the 72-hour
  timeout finds the few in flight without an index on ``notifications`` that reads the status;
* ``provider_references``: a provider's own message id (an SES MessageId) to our notification, so a
  receipt that names only the provider's id can be resolved;
* ``jobs``: CSV jobs with their status and progress counts (Notify's job statuses, with spaces);
* ``inbound_sms``: received text messages;
* ``complaints``, ``callback_attempts``: what they say;
* ``ft_notification_status``, ``ft_billing``, ``ft_processing_time``: Notify's daily facts, by the
  London date the notification was created. They hold no personal data and outlive retention;
* ``unsubscribe_requests`` (migration 0019): one row per email whose hosted unsubscribe link was
  followed, from the ``UnsubscribeRequested`` events (docs/unsubscribe.md); the projector copies
  the recipient's address from the notification it projected (personal data, never logged), so
  the event carries none. A second request for the same email is not recorded again. It is not
  among the projections the rebuild replaces (``PROJECTION_TABLES``).

Other services read them through the ``projection_*`` read contracts (``notify_common.db.contracts``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notify_common.db.shapes import TS

metadata = MetaData()

ID = UUID(as_uuid=False)
NO_JOB = "00000000-0000-0000-0000-000000000000"

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
Index("ix_notifications_client_reference", notifications.c.service_id, notifications.c.client_reference)
# A service's notifications newest first, by (created_at, id): the api-gateway's lists and the
# admin-api's reports (migration 0025).
Index(
    "ix_notifications_service_created_id",
    notifications.c.service_id,
    notifications.c.created_at.desc(),
    notifications.c.id.desc(),
)
# The same for the notifications sent with a test key alone, which the api-gateway lists to a test
# key (migration 0028); a live notification has no entry.
Index(
    "ix_notifications_service_created_test",
    notifications.c.service_id,
    notifications.c.created_at.desc(),
    notifications.c.id.desc(),
    postgresql_where=notifications.c.key_type == "test",
)

# The email and text messages in flight (status sending or pending), which the timeout task reads.
# An index of ``notifications`` that told them apart would have to read ``status``, and then no
# status update could be HOT (each would write a new entry in every index of the table).
notifications_in_flight = Table(
    "notifications_in_flight",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
)

inbound_sms = Table(
    "inbound_sms",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("user_number", String(255), nullable=False),
    Column("notify_number", String(255), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    # Added by the projector (0004): which provider received it, and that provider's id for it.
    Column("provider", String(64), nullable=True),
    Column("provider_reference", String(255), nullable=True),
)
Index("ix_inbound_sms_service_created", inbound_sms.c.service_id, inbound_sms.c.created_at.desc())

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

unsubscribe_requests = Table(
    "unsubscribe_requests",
    metadata,
    Column("notification_id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("template_id", UUID(as_uuid=False)),
    Column("template_version", Integer),
    Column("job_id", UUID(as_uuid=False)),
    Column("email_address", Text),
    Column("notification_sent_at", TS),
    Column("requested_at", TS, nullable=False),
    Column("recorded_at", TS, nullable=False, server_default=text("now()")),
)
Index(
    "ix_unsubscribe_requests_service",
    unsubscribe_requests.c.service_id,
    unsubscribe_requests.c.requested_at,
)

# The projections, in the order the rebuild creates and swaps them.
PROJECTION_TABLES: tuple[str, ...] = (
    "notifications",
    "notifications_in_flight",
    "provider_references",
    "jobs",
    "inbound_sms",
    "complaints",
    "callback_attempts",
    "ft_notification_status",
    "ft_billing",
    "ft_processing_time",
)
