"""callback ledger result: ``callback_deliveries`` keeps its last attempt's HTTP status and duration.

A first attempt that succeeds is no longer published as a ``CallbackAttempted`` event (nor kept in
``callback_attempts``): its ledger row now says everything that event said (when, the outcome, the
status and how long the call took). Rows written before this migration have neither (NULL).

Revision ID: 0030_callback_ledger_result
Revises: 0029_in_flight_table
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030_callback_ledger_result"
down_revision: str | None = "0029_in_flight_table"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE callback_deliveries ADD COLUMN status_code integer")
    op.execute("ALTER TABLE callback_deliveries ADD COLUMN duration_ms integer")


def downgrade() -> None:
    op.execute("ALTER TABLE callback_deliveries DROP COLUMN status_code, DROP COLUMN duration_ms")
