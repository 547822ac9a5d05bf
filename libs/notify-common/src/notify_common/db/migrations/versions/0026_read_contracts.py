"""read contracts: the views through which a service reads what another service owns
(``notify_common.db.contracts``), each showing only the columns its readers need. The owners'
tables are unchanged.

Revision ID: 0026_read_contracts
Revises: 0025_contact_lists_reports
"""

# ruff: noqa: S608 (the statements name the tables and their columns; nothing else goes into them)
from collections.abc import Sequence

from alembic import op

revision: str = "0026_read_contracts"
down_revision: str | None = "0025_contact_lists_reports"
branch_labels: str | Sequence[str] | None = None
# The views show tables of the projections', jobs' and legacy adapters' branches too.
depends_on: str | Sequence[str] | None = ("0004_lifecycle", "0005_jobs", "0006_legacy")

_TEMPLATE_TEXTS = (
    "name, template_type, subject, content, postage, letter_contact_block, created_by, "
    "letter_languages, letter_welsh_subject, letter_welsh_content, has_unsubscribe_link, "
    "language, language_variants"
)

VIEWS: tuple[tuple[str, str], ...] = (
    (
        "config_services",
        "SELECT id, name, active, restricted, email_from, prefix_sms, sms_sender, permissions, rate_limit, "
        "sms_message_limit, email_message_limit, letter_message_limit, international_sms_message_limit, "
        "contact_link FROM services",
    ),
    ("config_api_keys", "SELECT id, service_id, name, key_type, secret, expiry_date FROM api_keys"),
    (
        "config_service_sms_senders",
        "SELECT id, service_id, sms_sender, is_default, archived FROM service_sms_senders",
    ),
    (
        "config_service_email_reply_to",
        "SELECT id, service_id, email_address, is_default, archived FROM service_email_reply_to",
    ),
    (
        "config_service_letter_contacts",
        "SELECT id, service_id, contact_block, is_default, archived FROM service_letter_contacts",
    ),
    ("config_team_members", "SELECT service_id, email_address, mobile_number FROM team_members"),
    ("config_guest_list", "SELECT service_id, recipient_type, recipient FROM guest_list"),
    (
        "config_service_data_retention",
        "SELECT service_id, notification_type, days_of_retention FROM service_data_retention",
    ),
    (
        "config_send_branding",
        "SELECT s.service_id, s.no_email_branding, e.brand_type, e.name, e.colour, e.text, e.logo, "
        "l.logo AS letter_logo FROM service_branding s "
        "LEFT JOIN email_branding e ON e.id = s.email_branding_id "
        "LEFT JOIN letter_branding l ON l.id = s.letter_branding_id",
    ),
    (
        "config_templates",
        f"SELECT id, service_id, version, archived, created_at, updated_at, {_TEMPLATE_TEXTS} FROM templates",
    ),
    (
        "config_template_versions",
        f"SELECT id, version, service_id, created_at, {_TEMPLATE_TEXTS} FROM template_versions",
    ),
    ("config_legacy_api_switches", "SELECT service_id, alpha_enabled, beta_enabled FROM legacy_api_switches"),
    (
        "config_legacy_alpha_tokens",
        "SELECT id, service_id, name, key_type, token_sha256, revoked_at FROM legacy_alpha_tokens",
    ),
    (
        "config_service_callbacks",
        "SELECT service_id, callback_type, url, bearer_token, signing_secret FROM service_callback_api",
    ),
    ("config_inbound_numbers", "SELECT service_id, number, active FROM inbound_numbers"),
    (
        "config_service_annual_limits",
        "SELECT service_id, sms_annual_limit, email_annual_limit, letter_annual_limit "
        "FROM service_annual_limits",
    ),
    (
        "projection_notifications",
        "SELECT id, service_id, template_id, template_version, notification_type, key_type, api_key_id, "
        "job_id, job_row_number, recipient, address, client_reference, status, body, subject, postage, "
        "international, billable_units, rate_multiplier, sent_by, failure_reason, created_at, sent_at, "
        "updated_at, completed_at, recipient_as_sent, one_click_unsubscribe_url, scheduled_for, language "
        "FROM notifications",
    ),
    (
        "projection_inbound_sms",
        "SELECT id, service_id, user_number, notify_number, content, created_at FROM inbound_sms",
    ),
    ("projection_jobs", "SELECT id, service_id, original_file_name FROM jobs"),
    (
        "projection_ft_billing",
        "SELECT bst_date, template_id, service_id, notification_type, provider, rate_multiplier, "
        "international, postage, billable_units, notifications_sent FROM ft_billing",
    ),
    (
        "projection_ft_notification_status",
        "SELECT bst_date, template_id, service_id, job_id, notification_type, key_type, notification_status, "
        "notification_count FROM ft_notification_status",
    ),
    (
        "projection_complaints",
        "SELECT id, notification_id, service_id, complaint_type, complaint_date, created_at FROM complaints",
    ),
    (
        "projection_unsubscribe_requests",
        "SELECT notification_id, service_id, template_id, template_version, job_id, email_address, "
        "notification_sent_at, requested_at FROM unsubscribe_requests",
    ),
    (
        "splitter_jobs",
        "SELECT job_id, service_id, template_id, template_version, channel, key_type, bucket, object_key, "
        "original_file_name, row_count, scheduled_for, due_at, status, next_row, reason, created_by, "
        "correlation_id, requested_at, started_at, finished_at, contact_list_id FROM job_splitter_jobs",
    ),
    ("sms_provider_shares", "SELECT provider, weight, updated_at FROM sms_provider_weights"),
    (
        "sms_provider_share_changes",
        "SELECT id, changed_at, weights_before, weights_after, reason, detail "
        "FROM sms_provider_weight_changes",
    ),
    ("held_sends", "SELECT id, topic, payload, scheduled_for FROM scheduled_notifications"),
    (
        "claimed_sends",
        " UNION ALL ".join(
            f"SELECT notification_id, channel, provider, traceparent FROM {channel}_send_claims"
            for channel in ("sms", "email", "letter")
        ),
    ),
)


def upgrade() -> None:
    for name, query in VIEWS:
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name, _ in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
