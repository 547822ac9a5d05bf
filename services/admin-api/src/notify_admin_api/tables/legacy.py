"""The configuration of the earlier API generations (docs/legacy-alpha.md, docs/legacy-beta.md;
migration ``0006_legacy``), written by the admin API and ``notify-admin``, sharing the admin-api's
``tables.metadata``:

* ``legacy_api_switches``: per service, whether the alpha and the beta API answer at all; a service
  without a row has both off.
* ``legacy_alpha_tokens``: the alpha's plain bearer tokens. Only a SHA-256 digest of each token is
  kept (a bearer token is compared, never used as a signing key, so a digest is enough to verify it).

The api-gateway's adapters read both through read contracts; the alpha's jobs are the api-gateway's
own (``notify_api_gateway.tables``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, text
from sqlalchemy.dialects.postgresql import UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

legacy_api_switches = Table(
    "legacy_api_switches",
    metadata,
    Column("service_id", ID, ForeignKey("services.id"), primary_key=True),
    Column("alpha_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("beta_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
)

legacy_alpha_tokens = Table(
    "legacy_alpha_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("revoked_at", TS, nullable=True),
)
