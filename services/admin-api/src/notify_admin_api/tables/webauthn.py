"""Security keys (WebAuthn credentials) of console accounts (migration ``0024_webauthn``), sharing
the admin-api's ``tables.metadata``.

Configuration data written by the admin-api (``notify_admin_api.console_webauthn``); the console
never touches the database.

* ``webauthn_credentials``: one row per security key a person registered: the credential id the
  authenticator chose (base64url, unique), its COSE public key, the signature counter it last
  reported (an assertion whose counter does not move forward is refused, unless the key keeps no
  counter and reports 0 every time), the name the person gave it, when it was registered and when
  it was last used to sign in.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, LargeBinary, String, Table, text
from sqlalchemy.dialects.postgresql import UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

webauthn_credentials = Table(
    "webauthn_credentials",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
    Column("credential_id", String(1400), nullable=False, unique=True),  # base64url, up to 1023 bytes
    Column("public_key", LargeBinary, nullable=False),  # COSE_Key
    Column("sign_count", BigInteger, nullable=False, server_default=text("0")),
    Column("name", String(255), nullable=False),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("last_used", TS, nullable=True),
)
Index("ix_webauthn_credentials_user_id", webauthn_credentials.c.user_id)
