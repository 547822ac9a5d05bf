"""template folders: a service's nested folders and which folder each template is in
(notify_admin_api.tables.folders)

Revision ID: 0008_template_folders
Revises: 0007_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_template_folders"
down_revision: str | None = "0007_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.UUID(as_uuid=False)


def upgrade() -> None:
    op.create_table(
        "template_folders",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("service_id", UUID, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("parent_id", UUID, sa.ForeignKey("template_folders.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_index("ix_template_folders_service_id", "template_folders", ["service_id"])
    op.create_index("ix_template_folders_parent_id", "template_folders", ["parent_id"])
    op.create_table(
        "template_folder_templates",
        sa.Column("template_id", UUID, sa.ForeignKey("templates.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("folder_id", UUID, sa.ForeignKey("template_folders.id"), nullable=False),
        sa.Column("service_id", UUID, nullable=False),
    )
    op.create_index("ix_template_folder_templates_folder", "template_folder_templates", ["folder_id"])


def downgrade() -> None:
    op.drop_table("template_folder_templates")
    op.drop_table("template_folders")
