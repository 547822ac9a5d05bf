"""Tables of the earlier API generations (docs/legacy-alpha.md, docs/legacy-beta.md), sharing
``tables.metadata`` (migration ``0006_legacy``). All three are configuration data written by the
admin API and ``notify-admin``, except ``legacy_alpha_jobs``, which the alpha adapter writes:

* ``legacy_api_switches``: per service, whether the alpha and the beta API answer at all; a service
  without a row has both off.
* ``legacy_alpha_tokens``: the alpha's plain bearer tokens. Only a SHA-256 digest of each token is
  kept (a bearer token is compared, never used as a signing key, so a digest is enough to verify it).
* ``legacy_alpha_jobs``: the alpha's integer ``jobId`` and the job id (a UUID) its notifications
  carry in their events. An alpha job has no file; its progress is the ``jobs`` projection's.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Identity, String, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from notify_common.db.tables import TS, metadata

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

legacy_alpha_jobs = Table(
    "legacy_alpha_jobs",
    metadata,
    Column("id", BigInteger, Identity(start=1), primary_key=True),
    Column("job_id", ID, nullable=False, unique=True),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False, index=True),
    Column("description", Text, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)
