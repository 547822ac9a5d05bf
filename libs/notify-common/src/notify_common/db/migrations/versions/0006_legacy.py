"""legacy: per-service switches for the alpha and beta APIs, alpha bearer tokens, alpha jobs

Revision ID: 0006_legacy
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_legacy"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def _service_fk(*, primary_key: bool = False) -> sa.Column[str]:
    service = sa.ForeignKey("services.id")
    return sa.Column("service_id", UUID, service, nullable=False, primary_key=primary_key)


def upgrade() -> None:
    op.create_table(
        "legacy_api_switches",
        _service_fk(primary_key=True),
        sa.Column("alpha_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("beta_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "legacy_alpha_tokens",
        sa.Column("id", UUID, primary_key=True),
        _service_fk(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("key_type", sa.String(16), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_index("ix_legacy_alpha_tokens_service_id", "legacy_alpha_tokens", ["service_id"])
    op.create_table(
        "legacy_alpha_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(start=1), primary_key=True),
        sa.Column("job_id", UUID, nullable=False, unique=True),
        _service_fk(),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
    )
    op.create_index("ix_legacy_alpha_jobs_service_id", "legacy_alpha_jobs", ["service_id"])


def downgrade() -> None:
    op.drop_table("legacy_alpha_jobs")
    op.drop_table("legacy_alpha_tokens")
    op.drop_table("legacy_api_switches")
