"""Read contracts: the only way a service reads data another service owns.

The services share one PostgreSQL cluster, but a table belongs to the one service that writes it
(``owners``). Where another service needs some of that data, the owner publishes a
**read contract**: a PostgreSQL view, created by the owner's migration, that shows only the
columns its readers need, under a name that says what it is (``config_*`` for the admin-api's
configuration, ``projection_*`` for the projector's projections of the event log, and so on). The
owner may change its tables as it likes as long as each view keeps its shape: a change to a column
a view shows recreates the view in the same migration (PostgreSQL refuses to drop or retype a
column a view depends on).

Each view is declared here, once, as a SQLAlchemy ``Table`` in a ``MetaData`` of its own (views are
never created from these declarations: the migrations create them), with the tables it shows and
the services allowed to read it besides the owners of those tables (who maintain it with their
migrations). ``tests/contract/test_table_ownership.py`` fails on a read of another service's
table, or of a view by a service that is not its declared reader;
``tests/integration/common/test_read_contracts.py`` checks every view's columns, in order
and by type, against the migrated database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.types import TypeEngine

from notify_common.db.owners import (
    ADMIN_API,
    API_GATEWAY,
    CALLBACKS,
    DOCUMENT_DOWNLOAD,
    EMAIL_SENDER,
    JOB_SPLITTER,
    LETTER_SENDER,
    PROJECTOR,
    RECEIPTS,
    SMS_SENDER,
)

metadata = MetaData()

ID = UUID(as_uuid=False)
TS = DateTime(timezone=True)


def _view(name: str, *columns: tuple[str, TypeEngine[Any] | type[TypeEngine[Any]]]) -> Table:
    return Table(name, metadata, *(Column(column, type_) for column, type_ in columns))


_TEMPLATE_TEXTS = (
    ("name", String(255)),
    ("template_type", String(16)),
    ("subject", Text),
    ("content", Text),
    ("postage", String(16)),
    ("letter_contact_block", Text),
    ("created_by", String(255)),
    ("letter_languages", String(32)),
    ("letter_welsh_subject", Text),
    ("letter_welsh_content", Text),
    ("has_unsubscribe_link", Boolean),
    ("language", String(35)),
    ("language_variants", JSONB),
)

# ---- the admin-api's configuration -----------------------------------------------------------

config_services = _view(
    "config_services",
    ("id", ID),
    ("name", String(255)),
    ("active", Boolean),
    ("restricted", Boolean),
    ("email_from", String(255)),
    ("prefix_sms", Boolean),
    ("sms_sender", String(11)),
    ("permissions", ARRAY(String(64))),
    ("rate_limit", Integer),
    ("sms_message_limit", Integer),
    ("email_message_limit", Integer),
    ("letter_message_limit", Integer),
    ("international_sms_message_limit", Integer),
    ("contact_link", String(255)),
)
config_api_keys = _view(
    "config_api_keys",
    ("id", ID),
    ("service_id", ID),
    ("name", String(255)),
    ("key_type", String(16)),
    ("secret", Text),  # encrypted at rest (notify_common.secrets)
    ("expiry_date", TS),
)
config_service_sms_senders = _view(
    "config_service_sms_senders",
    ("id", ID),
    ("service_id", ID),
    ("sms_sender", String(11)),
    ("is_default", Boolean),
    ("archived", Boolean),
)
config_service_email_reply_to = _view(
    "config_service_email_reply_to",
    ("id", ID),
    ("service_id", ID),
    ("email_address", String(255)),
    ("is_default", Boolean),
    ("archived", Boolean),
)
config_service_letter_contacts = _view(
    "config_service_letter_contacts",
    ("id", ID),
    ("service_id", ID),
    ("contact_block", Text),
    ("is_default", Boolean),
    ("archived", Boolean),
)
config_team_members = _view(
    "config_team_members",
    ("service_id", ID),
    ("email_address", String(255)),
    ("mobile_number", String(32)),
)
config_guest_list = _view(
    "config_guest_list",
    ("service_id", ID),
    ("recipient_type", String(16)),
    ("recipient", String(255)),
)
config_service_data_retention = _view(
    "config_service_data_retention",
    ("service_id", ID),
    ("notification_type", String(16)),
    ("days_of_retention", Integer),
)
# A service's branding as a send carries it: its choice joined to the pools' rows (one row per
# service that has chosen; none for a service on the defaults).
config_send_branding = _view(
    "config_send_branding",
    ("service_id", ID),
    ("no_email_branding", Boolean),
    ("brand_type", String(16)),
    ("name", String(255)),
    ("colour", String(7)),
    ("text", String(255)),
    ("logo", String(255)),
    ("letter_logo", String(255)),
)
config_templates = _view(
    "config_templates",
    ("id", ID),
    ("service_id", ID),
    ("version", Integer),
    ("archived", Boolean),
    ("created_at", TS),
    ("updated_at", TS),
    *_TEMPLATE_TEXTS,
)
config_template_versions = _view(
    "config_template_versions",
    ("id", ID),
    ("version", Integer),
    ("service_id", ID),
    ("created_at", TS),
    *_TEMPLATE_TEXTS,
)
config_legacy_api_switches = _view(
    "config_legacy_api_switches",
    ("service_id", ID),
    ("alpha_enabled", Boolean),
    ("beta_enabled", Boolean),
)
config_legacy_alpha_tokens = _view(
    "config_legacy_alpha_tokens",
    ("id", ID),
    ("service_id", ID),
    ("name", String(255)),
    ("key_type", String(16)),
    ("token_sha256", String(64)),
    ("revoked_at", TS),
)
config_service_callbacks = _view(
    "config_service_callbacks",
    ("service_id", ID),
    ("callback_type", String(32)),
    ("url", String(255)),
    ("bearer_token", Text),  # encrypted at rest (notify_common.secrets)
    ("signing_secret", Text),  # likewise
)
config_inbound_numbers = _view(
    "config_inbound_numbers",
    ("service_id", ID),
    ("number", String(64)),
    ("active", Boolean),
)
# A service's annual sending limits where they differ from the platform's defaults.
config_service_annual_limits = _view(
    "config_service_annual_limits",
    ("service_id", ID),
    ("sms_annual_limit", BigInteger),
    ("email_annual_limit", BigInteger),
    ("letter_annual_limit", BigInteger),
)

# ---- the projector's projections of the event log --------------------------------------------

# Every column but the projector's own bookkeeping (``last_event_at``).
projection_notifications = _view(
    "projection_notifications",
    ("id", ID),
    ("service_id", ID),
    ("template_id", ID),
    ("template_version", Integer),
    ("notification_type", String(16)),
    ("key_type", String(16)),
    ("api_key_id", ID),
    ("job_id", ID),
    ("job_row_number", Integer),
    ("recipient", String(255)),
    ("address", JSONB),
    ("client_reference", String(1000)),
    ("status", String(32)),
    ("body", Text),
    ("subject", Text),
    ("postage", String(16)),
    ("international", Boolean),
    ("billable_units", Integer),
    ("rate_multiplier", Integer),
    ("sent_by", String(64)),
    ("failure_reason", Text),
    ("created_at", TS),
    ("sent_at", TS),
    ("updated_at", TS),
    ("completed_at", TS),
    ("recipient_as_sent", Text),
    ("one_click_unsubscribe_url", Text),
    ("scheduled_for", TS),
    ("language", String(35)),
)
projection_inbound_sms = _view(
    "projection_inbound_sms",
    ("id", ID),
    ("service_id", ID),
    ("user_number", String(255)),
    ("notify_number", String(255)),
    ("content", Text),
    ("created_at", TS),
)
projection_jobs = _view(
    "projection_jobs",
    ("id", ID),
    ("service_id", ID),
    ("original_file_name", Text),
)
projection_ft_billing = _view(
    "projection_ft_billing",
    ("bst_date", Date),
    ("template_id", ID),
    ("service_id", ID),
    ("notification_type", String(16)),
    ("provider", String(64)),
    ("rate_multiplier", Integer),
    ("international", Boolean),
    ("postage", String(16)),
    ("billable_units", BigInteger),
    ("notifications_sent", Integer),
)
projection_ft_notification_status = _view(
    "projection_ft_notification_status",
    ("bst_date", Date),
    ("template_id", ID),
    ("service_id", ID),
    ("job_id", ID),
    ("notification_type", String(16)),
    ("key_type", String(16)),
    ("notification_status", String(32)),
    ("notification_count", Integer),
)
projection_complaints = _view(
    "projection_complaints",
    ("id", ID),
    ("notification_id", ID),
    ("service_id", ID),
    ("complaint_type", String(255)),
    ("complaint_date", TS),
    ("created_at", TS),
)
projection_unsubscribe_requests = _view(
    "projection_unsubscribe_requests",
    ("notification_id", ID),
    ("service_id", ID),
    ("template_id", ID),
    ("template_version", Integer),
    ("job_id", ID),
    ("email_address", Text),
    ("notification_sent_at", TS),
    ("requested_at", TS),
)

# ---- the job-splitter's jobs, the api-gateway's held sends, the senders' claims --------------

# A job as the job-splitter last recorded it (its working state but ``updated_at``).
splitter_jobs = _view(
    "splitter_jobs",
    ("job_id", ID),
    ("service_id", ID),
    ("template_id", ID),
    ("template_version", Integer),
    ("channel", String(16)),
    ("key_type", String(16)),
    ("bucket", String(255)),
    ("object_key", Text),
    ("original_file_name", Text),
    ("row_count", Integer),
    ("scheduled_for", TS),
    ("due_at", TS),
    ("status", String(32)),
    ("next_row", Integer),
    ("reason", Text),
    ("created_by", Text),
    ("correlation_id", Text),
    ("requested_at", TS),
    ("started_at", TS),
    ("finished_at", TS),
    ("contact_list_id", ID),
)
# The SMS providers' current shares of traffic, and every change of them with its reason.
sms_provider_shares = _view(
    "sms_provider_shares",
    ("provider", String(64)),
    ("weight", Integer),
    ("updated_at", TS),
)
sms_provider_share_changes = _view(
    "sms_provider_share_changes",
    ("id", BigInteger),
    ("changed_at", TS),
    ("weights_before", JSONB),
    ("weights_after", JSONB),
    ("reason", String(32)),
    ("detail", Text),
)
# Sends held until their ``scheduled_for``, with the encoded requested event to publish then.
held_sends = _view(
    "held_sends",
    ("id", ID),
    ("topic", String(255)),
    ("payload", LargeBinary),
    ("scheduled_for", TS),
)
# Every sender's claims, by notification: the provider it was claimed for and the trace context a
# receipt joins.
claimed_sends = _view(
    "claimed_sends",
    ("notification_id", ID),
    ("channel", String(16)),
    ("provider", String(64)),
    ("traceparent", String(55)),
)


@dataclass(frozen=True)
class ReadContract:
    """A view, the tables it shows, and the services allowed to read it."""

    view: Table
    shows: tuple[str, ...]
    readers: tuple[str, ...]


_SENDERS = (SMS_SENDER, EMAIL_SENDER, LETTER_SENDER)

CONTRACTS: tuple[ReadContract, ...] = (
    # The data plane checks and renders sends with the configuration (notify_common.service_config).
    ReadContract(config_services, ("services",), (API_GATEWAY, JOB_SPLITTER, EMAIL_SENDER)),
    ReadContract(config_api_keys, ("api_keys",), (API_GATEWAY, JOB_SPLITTER)),
    ReadContract(config_service_sms_senders, ("service_sms_senders",), (API_GATEWAY, JOB_SPLITTER)),
    ReadContract(config_service_email_reply_to, ("service_email_reply_to",), (API_GATEWAY, JOB_SPLITTER)),
    ReadContract(config_service_letter_contacts, ("service_letter_contacts",), (API_GATEWAY, JOB_SPLITTER)),
    ReadContract(config_team_members, ("team_members",), (API_GATEWAY, JOB_SPLITTER)),
    ReadContract(config_guest_list, ("guest_list",), (API_GATEWAY, JOB_SPLITTER)),
    ReadContract(
        config_service_data_retention, ("service_data_retention",), (API_GATEWAY, JOB_SPLITTER, PROJECTOR)
    ),
    ReadContract(
        config_send_branding,
        ("service_branding", "email_branding", "letter_branding"),
        (API_GATEWAY, JOB_SPLITTER),
    ),
    ReadContract(config_templates, ("templates",), (API_GATEWAY, JOB_SPLITTER)),
    ReadContract(
        config_template_versions, ("template_versions",), (API_GATEWAY, JOB_SPLITTER, LETTER_SENDER)
    ),
    ReadContract(config_legacy_api_switches, ("legacy_api_switches",), (API_GATEWAY,)),
    ReadContract(config_legacy_alpha_tokens, ("legacy_alpha_tokens",), (API_GATEWAY,)),
    ReadContract(config_service_callbacks, ("service_callback_api",), (CALLBACKS,)),
    ReadContract(config_inbound_numbers, ("inbound_numbers",), (RECEIPTS,)),
    ReadContract(config_service_annual_limits, ("service_annual_limits",), (API_GATEWAY, JOB_SPLITTER)),
    # What the API and the console answer with, what a sender asks when a claim is in doubt, and
    # which email a hosted unsubscribe link belongs to.
    ReadContract(
        projection_notifications, ("notifications",), (API_GATEWAY, ADMIN_API, DOCUMENT_DOWNLOAD, *_SENDERS)
    ),
    ReadContract(projection_inbound_sms, ("inbound_sms",), (API_GATEWAY, ADMIN_API)),
    ReadContract(projection_jobs, ("jobs",), (ADMIN_API,)),
    ReadContract(projection_ft_billing, ("ft_billing",), (ADMIN_API,)),
    ReadContract(projection_ft_notification_status, ("ft_notification_status",), (ADMIN_API,)),
    ReadContract(projection_complaints, ("complaints",), (ADMIN_API,)),
    # The platform-admin pages show the SMS providers' shares and their history.
    ReadContract(sms_provider_shares, ("sms_provider_weights",), (ADMIN_API,)),
    ReadContract(sms_provider_share_changes, ("sms_provider_weight_changes",), (ADMIN_API,)),
    ReadContract(projection_unsubscribe_requests, ("unsubscribe_requests",), (ADMIN_API,)),
    ReadContract(splitter_jobs, ("job_splitter_jobs",), (API_GATEWAY, ADMIN_API)),
    ReadContract(held_sends, ("scheduled_notifications",), (JOB_SPLITTER,)),
    ReadContract(claimed_sends, ("sms_send_claims", "email_send_claims", "letter_send_claims"), (RECEIPTS,)),
)

BY_VIEW: dict[str, ReadContract] = {c.view.name: c for c in CONTRACTS}
