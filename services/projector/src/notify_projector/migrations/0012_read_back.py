"""read back what was sent: the recipient as the service gave it (``recipient`` stays the
normalised form that searches, guest lists and senders use), the one-click unsubscribe URL and the
``scheduled_for`` time of a held send, on the notifications projection

Revision ID: 0012_read_back
Revises: 0011_console_resets
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_read_back"
down_revision: str | None = "0011_console_resets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("recipient_as_sent", sa.Text()),
    ("one_click_unsubscribe_url", sa.Text()),
    ("scheduled_for", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("notifications", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("notifications", name)
