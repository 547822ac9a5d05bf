"""in-flight table: the timeout task finds the email and text messages still ``sending`` or
``pending`` through ``notifications_in_flight`` (their ids, written by the projector in the same
transaction as their rows), and ``ix_notifications_in_flight`` goes. That partial index read
``status``, and PostgreSQL makes no update HOT that changes a column an index reads (its predicate
included), so every status change of a notification wrote a new entry in each of its indexes. With
it gone a delivery's update changes no indexed column, and ``notifications`` leaves 30 % of each
page free so that the new row version fits beside the old one (HOT needs the same page).

The table is filled from the rows as they stand; a projector of the previous version must not run
after this migration (it would not keep the table), which the deploy order (migrations first, then
the services) gives.

Revision ID: 0029_in_flight_table
Revises: 0028_test_key_index
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029_in_flight_table"
down_revision: str | None = "0028_test_key_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TABLE notifications_in_flight (id uuid PRIMARY KEY)")
    op.execute(
        "INSERT INTO notifications_in_flight (id) SELECT id FROM notifications "
        "WHERE status IN ('pending', 'sending') AND notification_type IN ('email', 'sms')"
    )
    op.execute("DROP INDEX ix_notifications_in_flight")
    op.execute("ALTER TABLE notifications SET (fillfactor = 70)")


def downgrade() -> None:
    op.execute("ALTER TABLE notifications RESET (fillfactor)")
    op.execute(
        "CREATE INDEX ix_notifications_in_flight ON notifications (sent_at)"
        " WHERE status IN ('sending', 'pending')"
    )
    op.execute("DROP TABLE notifications_in_flight")
