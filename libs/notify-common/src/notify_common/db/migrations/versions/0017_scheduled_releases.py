"""scheduled releases: the job-splitter publishes held single sends at their time, recording each
release in a table of its own, so ``scheduled_notifications`` keeps one writer (the api-gateway,
which holds them). Sends already published are recorded as released, so none goes out twice;
sends already due and not yet published are recorded as due, for the job-splitter to publish.

Revision ID: 0017_scheduled_releases
Revises: 0016_receipt_notifications
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_scheduled_releases"
down_revision: str | None = "0016_receipt_notifications"
branch_labels: str | Sequence[str] | None = None
# It reads the api-gateway's held sends, created on the 0002_api branch.
depends_on: str | Sequence[str] | None = "0002_api"


def upgrade() -> None:
    # Owned by the job-splitter.
    op.execute("""
        CREATE TABLE scheduled_releases (
            id uuid PRIMARY KEY,
            scheduled_for timestamptz NOT NULL,
            published_at timestamptz,
            due_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX ix_scheduled_releases_scheduled_for ON scheduled_releases (scheduled_for)")
    op.execute("""
        INSERT INTO scheduled_releases (id, scheduled_for, published_at, due_at)
        SELECT id, scheduled_for, published_at, coalesce(published_at, now()) FROM scheduled_notifications
        WHERE published_at IS NOT NULL OR scheduled_for <= now()""")


def downgrade() -> None:
    op.execute("""
        UPDATE scheduled_notifications AS s SET published_at = r.published_at
        FROM scheduled_releases AS r WHERE r.id = s.id AND s.published_at IS NULL""")
    op.execute("DROP TABLE IF EXISTS scheduled_releases")
