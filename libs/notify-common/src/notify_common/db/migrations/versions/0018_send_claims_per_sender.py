"""send claims per sender: each sender's claims move to a table of its own (``sms_send_claims``,
``email_send_claims``, ``letter_send_claims``), so every table has one writer; the rows move by
their channel. ``send_claims`` becomes a view of the three, for the readers of every channel's
claims.

Revision ID: 0018_send_claims_per_sender
Revises: 0017_scheduled_releases
"""

# ruff: noqa: S608 (the statements name the three tables; nothing else goes into them)
from collections.abc import Sequence

from alembic import op

revision: str = "0018_send_claims_per_sender"
down_revision: str | None = "0017_scheduled_releases"
branch_labels: str | Sequence[str] | None = None
# send_claims' failure columns come from the 0003_senders branch.
depends_on: str | Sequence[str] | None = "0003_senders"

CHANNELS = ("sms", "email", "letter")


def upgrade() -> None:
    for channel in CHANNELS:
        op.execute(f"CREATE TABLE {channel}_send_claims (LIKE send_claims INCLUDING ALL)")
        op.execute(f"INSERT INTO {channel}_send_claims SELECT * FROM send_claims WHERE channel = '{channel}'")
    op.execute("DROP TABLE send_claims")
    op.execute(
        "CREATE VIEW send_claims AS "
        + " UNION ALL ".join(f"SELECT * FROM {channel}_send_claims" for channel in CHANNELS)
    )


def downgrade() -> None:
    op.execute("DROP VIEW send_claims")
    op.execute("CREATE TABLE send_claims (LIKE sms_send_claims INCLUDING ALL)")
    for channel in CHANNELS:
        op.execute(f"INSERT INTO send_claims SELECT * FROM {channel}_send_claims")
        op.execute(f"DROP TABLE {channel}_send_claims")
