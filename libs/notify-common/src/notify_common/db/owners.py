"""Which service owns each table: the one service that writes it (inserts, updates, deletes, locks)
and reads it.

Every other service learns what it needs from events, or reads it through a read contract, a view
the owner publishes (``contracts``). The tables are declared in the ``tables*`` modules beside
this one, in one ``MetaData`` with one Alembic history (``migrations/``), because they share one
PostgreSQL database; ownership is checked by ``tests/contract/test_table_ownership.py``, which
reads every service's code for writes and reads of a table it does not own, reads of a view by a
service that is not its reader, and imports of another service's package. docs/architecture.md
lists the owners with the topics each service produces and consumes.
"""

from __future__ import annotations

from sqlalchemy import Table

from notify_common.db import (
    tables,
    tables_api,
    tables_audit,
    tables_branding,
    tables_console,
    tables_contact_lists,
    tables_folders,
    tables_go_live,
    tables_jobs,
    tables_legacy,
    tables_lifecycle,
    tables_organisations,
    tables_receipts,
    tables_senders,
    tables_unsubscribe,
    tables_webauthn,
)

MODULES = (
    tables,
    tables_api,
    tables_audit,
    tables_branding,
    tables_console,
    tables_contact_lists,
    tables_folders,
    tables_go_live,
    tables_jobs,
    tables_legacy,
    tables_lifecycle,
    tables_organisations,
    tables_receipts,
    tables_senders,
    tables_unsubscribe,
    tables_webauthn,
)


def declared_tables() -> dict[str, str]:
    """Python name of every ``Table`` declared in the modules above → the table's name."""
    return {
        name: value.name
        for module in MODULES
        for name, value in vars(module).items()
        if isinstance(value, Table)
    }


ADMIN_API = "admin-api"
API_GATEWAY = "api-gateway"
CALLBACKS = "callbacks"
DOCUMENT_DOWNLOAD = "document-download"
JOB_SPLITTER = "job-splitter"
PROJECTOR = "projector"
RECEIPTS = "receipts"
SMS_SENDER = "sms-sender"
EMAIL_SENDER = "email-sender"
LETTER_SENDER = "letter-sender"

# Configuration: written through the management plane (admin API, console back end, notify-admin).
_CONFIGURATION = (
    "services",
    "api_keys",
    "templates",
    "template_versions",
    "team_members",
    "guest_list",
    "service_sms_senders",
    "service_email_reply_to",
    "service_letter_contacts",
    "service_callback_api",
    "inbound_numbers",
    "service_data_retention",
    "template_folders",
    "template_folder_templates",
    "go_live_requests",
    "console_users",
    "console_user_services",
    "console_verify_codes",
    "console_invites",
    "console_uploads",
    "console_password_resets",
    "console_reply_to_verifications",
    "email_branding",
    "letter_branding",
    "service_branding",
    "organisations",
    "organisation_domains",
    "organisation_members",
    "webauthn_credentials",
)
# Projections of the event log, rebuilt from the topics (docs/adr/0001-event-log-is-the-source-of-truth.md).
_PROJECTIONS = tables_lifecycle.PROJECTION_TABLES

TABLE_OWNERS: dict[str, str] = {
    **dict.fromkeys(_CONFIGURATION, ADMIN_API),
    **dict.fromkeys(_PROJECTIONS, PROJECTOR),
    # Sends held until their scheduled_for (the gateway holds them), and their release by the
    # job-splitter, which publishes each when its time comes.
    "scheduled_notifications": API_GATEWAY,
    "scheduled_releases": JOB_SPLITTER,
    # The legacy adapters (docs/legacy-alpha.md, docs/legacy-beta.md): their switches and tokens
    # are configuration, issued through the admin API; the alpha jobs are the adapter's own.
    "legacy_api_switches": ADMIN_API,
    "legacy_alpha_tokens": ADMIN_API,
    "legacy_alpha_jobs": API_GATEWAY,
    # The job-splitter's working state; others ask it with commands (notify.jobs.commands).
    "job_splitter_jobs": JOB_SPLITTER,
    "callback_deliveries": CALLBACKS,
    "receipt_notifications": RECEIPTS,
    # Each sender's claims (notify_common.send_claims): one table per sender.
    "sms_send_claims": SMS_SENDER,
    "email_send_claims": EMAIL_SENDER,
    "letter_send_claims": LETTER_SENDER,
    "sms_provider_weights": SMS_SENDER,
    "sms_provider_weight_changes": SMS_SENDER,
    # Recipients' unsubscribe requests, recorded from their events; the reports that group them
    # are the console's (docs/unsubscribe.md).
    "unsubscribe_requests": PROJECTOR,
    "unsubscribe_request_reports": ADMIN_API,
    "unsubscribe_request_report_items": ADMIN_API,
    # A service's configuration history (from notify.service-history, never pruned or rebuilt)
    # and its annual sending limits (docs/audit-history.md, docs/limits.md).
    "service_history": ADMIN_API,
    "service_annual_limits": ADMIN_API,
    # Saved recipients files and reports built in the background (docs/contact-lists.md,
    # docs/reports.md).
    "contact_lists": ADMIN_API,
    "report_requests": ADMIN_API,
}

# Views over tables of several owners for people and tests (no service reads them; services read
# through ``contracts``); nobody writes a view.
VIEWS: dict[str, tuple[str, ...]] = {
    "send_claims": ("sms_send_claims", "email_send_claims", "letter_send_claims"),
}


def writers_of(table: str) -> tuple[str, ...]:
    """The service allowed to write ``table`` (none, for a view)."""
    return (TABLE_OWNERS[table],) if table in TABLE_OWNERS else ()
