"""delivery lifecycle: projections of jobs, inbound SMS, complaints, callbacks, daily facts

Revision ID: 0004_lifecycle
Revises: 0001

Everything here except ``callback_deliveries`` is a projection of the event log, owned by the
projector and rebuilt by ``notify-projector rebuild``. ``inbound_sms`` may already exist (migration
``0002_api`` creates it too), so it is created with ``IF NOT EXISTS``; the signing secret of the
callbacks goes on the API's ``service_callback_api`` table, hence the dependency on ``0002_api``.
"""

from collections.abc import Sequence

from alembic import op

from notify_common.statuses import rank_sql_function

revision: str = "0004_lifecycle"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_api"

# Whether a status (at a time) takes over from the current one: a higher rank always does; among
# final statuses the earliest wins (ties broken by name), so the outcome never depends on the order
# events are applied in. ``notify_projector.evolve.wins`` is the same rule in Python.
STATUS_WINS = """
CREATE OR REPLACE FUNCTION notify_status_wins(new_status text, new_at timestamptz,
    cur_status text, cur_at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT notify_status_rank(new_status) > notify_status_rank(cur_status)
        OR (notify_status_rank(new_status) = notify_status_rank(cur_status)
            AND notify_status_rank(new_status) >= 10
            AND (new_at, new_status) < (cur_at, cur_status))
$$
"""

JOB_STATUS_RANK = """
CREATE OR REPLACE FUNCTION notify_job_status_rank(status text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE status WHEN 'scheduled' THEN 0 WHEN 'pending' THEN 1 WHEN 'in progress' THEN 2
        WHEN 'finished' THEN 3 WHEN 'cancelled' THEN 3 WHEN 'sending limits exceeded' THEN 3
        WHEN 'error' THEN 3 ELSE -1 END
$$
"""

STATEMENTS = (
    rank_sql_function(),
    STATUS_WINS,
    JOB_STATUS_RANK,
    "ALTER TABLE notifications ADD COLUMN status_at timestamptz",
    "CREATE INDEX ix_notifications_job_id ON notifications (job_id) WHERE job_id IS NOT NULL",
    "CREATE INDEX ix_notifications_in_flight ON notifications (sent_at)"
    " WHERE status IN ('sending', 'pending')",
    "CREATE INDEX ix_notifications_created_at ON notifications (created_at)",
    """CREATE TABLE provider_references (
        reference varchar(255) PRIMARY KEY, provider varchar(64) NOT NULL,
        notification_id uuid NOT NULL, service_id uuid NOT NULL)""",
    """CREATE TABLE jobs (
        id uuid PRIMARY KEY, service_id uuid, template_id uuid, template_version integer,
        original_file_name text, created_by varchar(255),
        notification_count integer NOT NULL DEFAULT 0, rows_emitted integer NOT NULL DEFAULT 0,
        notifications_requested integer NOT NULL DEFAULT 0,
        notifications_sent integer NOT NULL DEFAULT 0,
        notifications_delivered integer NOT NULL DEFAULT 0,
        notifications_failed integer NOT NULL DEFAULT 0,
        job_status varchar(32), job_status_at timestamptz, scheduled_for timestamptz,
        created_at timestamptz, processing_started timestamptz, processing_finished timestamptz,
        updated_at timestamptz)""",
    "CREATE INDEX ix_jobs_service_created ON jobs (service_id, created_at DESC)",
    """CREATE TABLE IF NOT EXISTS inbound_sms (
        id uuid PRIMARY KEY, service_id uuid NOT NULL, user_number varchar(255) NOT NULL,
        notify_number varchar(255) NOT NULL, content text NOT NULL, created_at timestamptz NOT NULL)""",
    "ALTER TABLE inbound_sms ADD COLUMN IF NOT EXISTS provider varchar(64)",
    "ALTER TABLE inbound_sms ADD COLUMN IF NOT EXISTS provider_reference varchar(255)",
    "CREATE INDEX IF NOT EXISTS ix_inbound_sms_service_created ON inbound_sms (service_id, created_at DESC)",
    """CREATE TABLE complaints (
        id uuid PRIMARY KEY, notification_id uuid, service_id uuid NOT NULL,
        feedback_id varchar(255), complaint_type varchar(255), complaint_date timestamptz,
        created_at timestamptz NOT NULL)""",
    "CREATE INDEX ix_complaints_service ON complaints (service_id, created_at DESC)",
    """CREATE TABLE callback_attempts (
        event_id uuid PRIMARY KEY, service_id uuid NOT NULL, notification_id uuid, inbound_sms_id uuid,
        callback_type varchar(32) NOT NULL, attempt integer NOT NULL, outcome varchar(16) NOT NULL,
        status_code integer, duration_ms integer NOT NULL, reason text,
        occurred_at timestamptz NOT NULL)""",
    "CREATE INDEX ix_callback_attempts_notification ON callback_attempts (notification_id)",
    """CREATE TABLE ft_notification_status (
        bst_date date NOT NULL, template_id uuid NOT NULL, service_id uuid NOT NULL, job_id uuid NOT NULL,
        notification_type varchar(16) NOT NULL, key_type varchar(16) NOT NULL,
        notification_status varchar(32) NOT NULL, notification_count integer NOT NULL,
        PRIMARY KEY (bst_date, template_id, service_id, job_id, notification_type, key_type,
            notification_status))""",
    """CREATE TABLE ft_billing (
        bst_date date NOT NULL, template_id uuid NOT NULL, service_id uuid NOT NULL,
        notification_type varchar(16) NOT NULL, provider varchar(64) NOT NULL,
        rate_multiplier integer NOT NULL, international boolean NOT NULL, postage varchar(16) NOT NULL,
        billable_units bigint NOT NULL, notifications_sent integer NOT NULL,
        PRIMARY KEY (bst_date, template_id, service_id, notification_type, provider, rate_multiplier,
            international, postage))""",
    """CREATE TABLE ft_processing_time (
        bst_date date PRIMARY KEY, messages_total integer NOT NULL,
        messages_within_10_secs integer NOT NULL)""",
    # Owned by the callbacks service (not a projection): one row per callback it owes a service.
    """CREATE TABLE callback_deliveries (
        key varchar(128) PRIMARY KEY, service_id uuid NOT NULL, callback_type varchar(32) NOT NULL,
        attempts integer NOT NULL DEFAULT 0, last_kafka_attempt integer NOT NULL DEFAULT -1,
        outcome varchar(16), updated_at timestamptz NOT NULL DEFAULT now())""",
    "ALTER TABLE service_callback_api ADD COLUMN IF NOT EXISTS signing_secret text",
)

DROPS = (
    "DROP TABLE IF EXISTS callback_deliveries, ft_processing_time, ft_billing, ft_notification_status,"
    " callback_attempts, complaints, jobs, provider_references",
    "ALTER TABLE inbound_sms DROP COLUMN IF EXISTS provider_reference",
    "ALTER TABLE inbound_sms DROP COLUMN IF EXISTS provider",
    "ALTER TABLE service_callback_api DROP COLUMN IF EXISTS signing_secret",
    "DROP INDEX IF EXISTS ix_notifications_created_at",
    "DROP INDEX IF EXISTS ix_notifications_in_flight",
    "DROP INDEX IF EXISTS ix_notifications_job_id",
    "ALTER TABLE notifications DROP COLUMN IF EXISTS status_at",
    "DROP FUNCTION IF EXISTS notify_job_status_rank(text)",
    "DROP FUNCTION IF EXISTS notify_status_wins(text, timestamptz, text, timestamptz)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROPS:
        op.execute(statement)
