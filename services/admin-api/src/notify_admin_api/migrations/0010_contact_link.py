"""contact link: how the people a service sends files to can contact it (shown on the download
page; Notify's "Send files by email" needs it set)

Revision ID: 0010_contact_link
Revises: 0009_go_live
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_contact_link"
down_revision: str | None = "0009_go_live"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("services", sa.Column("contact_link", sa.String(255), nullable=True))


def downgrade() -> None:
    op.drop_column("services", "contact_link")
