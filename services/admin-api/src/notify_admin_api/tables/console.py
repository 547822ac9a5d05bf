"""Tables of the admin web console's accounts (migrations ``0007_console`` and ``0011_console_resets``),
sharing the admin-api's ``tables.metadata``.

Configuration data owned by the admin API's console routes (the admin-api's ``notify_admin_api.console_*``);
the console itself never touches the database.

* ``console_users``: people who sign in to the console. ``password_hash`` is a scrypt hash
  (``scrypt$n$r$p$salt$hash``); ``totp_secret`` is sealed with ``notify_common.secrets``;
  ``failed_login_count`` counts wrong passwords and wrong codes since the last success (the account
  locks at 10).
* ``console_user_services``: membership of a service with the console's permissions
  (view_activity, send_messages, manage_templates, manage_service, manage_api_keys).
* ``console_verify_codes``: second-factor codes sent by text or email, kept as SHA-256 digests.
* ``console_invites``: invitations to join a service; only the SHA-256 of the token is kept.
* ``console_uploads``: a CSV checked for a template, its report, and where the file is stored.
* ``console_password_resets``: links sent for a forgotten password; only the SHA-256 of the token is
  kept, with when it expires (1 hour) and when it was used (once).
* ``console_reply_to_verifications``: reply-to email addresses waiting for the link emailed to them
  to be followed; only the token's SHA-256 is kept. ``reply_to_id`` is the address once added.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

console_users = Table(
    "console_users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email_address", String(255), nullable=False, unique=True),  # lower case
    Column("mobile_number", String(32), nullable=True),
    Column("password_hash", Text, nullable=False),
    Column("auth_type", String(16), nullable=False, server_default=text("'sms_auth'")),
    Column("totp_secret", Text, nullable=True),
    Column("totp_pending_secret", Text, nullable=True),
    Column("platform_admin", Boolean, nullable=False, server_default=text("false")),
    Column("failed_login_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("logged_in_at", TS, nullable=True),
    Column("password_changed_at", TS, nullable=False, server_default=text("now()")),
    # Sessions that began before this are over (sign-out ends every copy of the cookie).
    Column("sessions_not_before", TS, nullable=True),
)

console_user_services = Table(
    "console_user_services",
    metadata,
    Column("user_id", ID, ForeignKey("console_users.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), primary_key=True),
    Column("permissions", ARRAY(String(32)), nullable=False),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)
Index("ix_console_user_services_service", console_user_services.c.service_id)

console_verify_codes = Table(
    "console_verify_codes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code_type", String(16), nullable=False),  # sms | email
    Column("code_sha256", String(64), nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

console_invites = Table(
    "console_invites",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False, index=True),
    Column("email_address", String(255), nullable=False),
    Column("permissions", ARRAY(String(32)), nullable=False),
    Column("invited_by", ID, nullable=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

console_uploads = Table(
    "console_uploads",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False, index=True),
    Column("template_id", ID, nullable=False),
    Column("original_file_name", Text, nullable=False),
    Column("created_by", Text, nullable=True),
    Column("row_count", Integer, nullable=False, server_default=text("0")),
    Column("valid", Boolean, nullable=False),
    Column("report", JSONB, nullable=False),
    Column("bucket", String(255), nullable=True),
    Column("object_key", Text, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

console_password_resets = Table(
    "console_password_resets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

console_reply_to_verifications = Table(
    "console_reply_to_verifications",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False, index=True),
    Column("email_address", String(255), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("expires_at", TS, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),  # pending | verified
    Column("created_by", ID, nullable=True),
    Column("reply_to_id", ID, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)
