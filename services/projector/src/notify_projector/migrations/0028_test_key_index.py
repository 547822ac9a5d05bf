"""test key index: the index that finds a service's notifications by key type,
``ix_notifications_service_created`` on (service_id, key_type, created_at), serves one query, the
api-gateway's list of notifications sent with a test key (``key_type = 'test'``); every other
listing, live keys' included, is served by ``ix_notifications_service_created_id``. It is replaced
by an index of the test notifications alone, in the order that list is read (newest first, then
by id), so a live notification, and every new version of its row, costs one index entry fewer.
A row's key type is set once, by its request.

Revision ID: 0028_test_key_index
Revises: 0027_send_claims_fillfactor
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028_test_key_index"
down_revision: str | None = "0027_send_claims_fillfactor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_notifications_service_created_test "
        "ON notifications (service_id, created_at DESC, id DESC) WHERE key_type = 'test'"
    )
    op.execute("DROP INDEX ix_notifications_service_created")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX ix_notifications_service_created "
        "ON notifications (service_id, key_type, created_at DESC)"
    )
    op.execute("DROP INDEX ix_notifications_service_created_test")
