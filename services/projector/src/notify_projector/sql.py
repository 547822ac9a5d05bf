"""The projector's SQL: one set-based statement per table and batch, fed with arrays (``unnest``)
or, for the wide notification rows, one JSON array (``recordset``).

Each statement takes the whole batch at once (a few thousand rows cost one round trip), and the
merge rules in the ``SET`` clauses are those of ``evolve.py``. Names are unqualified, so the same
statements write the live tables or, with another ``search_path``, the rebuild's shadow tables.
Every statement is assembled from the constant column lists below, never from data (hence S608).
"""

# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import TextClause, text

from notify_common import statuses
from notify_projector.contributions import COLUMNS as CONTRIBUTION_COLUMNS

Cols = Sequence[tuple[str, str]]
NIL = "'00000000-0000-0000-0000-000000000000'::uuid"
# A notification in flight: sent, not yet settled, by a channel whose sends time out after 72 hours.
IN_FLIGHT = frozenset({statuses.SENDING, statuses.PENDING})
TIMED_TYPES = frozenset({"sms", "email"})
IN_FLIGHT_SQL = "(" + ", ".join(f"'{v}'" for v in sorted(IN_FLIGHT)) + ")"
TIMED_TYPES_SQL = "(" + ", ".join(f"'{v}'" for v in sorted(TIMED_TYPES)) + ")"


def unnest(cols: Cols) -> str:
    """``unnest(CAST(:a AS t[]), ...) AS u(a, ...)``: a batch of rows as one relation."""
    arrays = ", ".join(f"CAST(:{name} AS {type_}[])" for name, type_ in cols)
    return f"unnest({arrays}) AS u({', '.join(name for name, _ in cols)})"


def arrays(cols: Cols, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The bind parameters for ``unnest(cols)``: one list per column."""
    return {name: [row[name] for row in rows] for name, _ in cols}


def recordset(cols: Cols, alias: str = "u") -> str:
    """``json_to_recordset(CAST(:rows AS json)) AS u(a t, ...)``: a batch of rows, sent as one JSON
    array of objects (``records``). For wide rows this is far cheaper on the client than one array
    per column, which the driver renders element by element in Python."""
    return f"json_to_recordset(CAST(:rows AS json)) AS {alias}({', '.join(f'{n} {t}' for n, t in cols)})"


def records(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The bind parameter for ``recordset``: the rows as one JSON text (keys beyond the recordset's
    columns are ignored, a column without a key is null; times keep their offset and
    microseconds)."""
    return {"rows": orjson.dumps(rows).decode()}


REQUEST_COLS: Cols = (
    ("template_id", "uuid"),
    ("template_version", "int"),
    ("notification_type", "text"),
    ("key_type", "text"),
    ("api_key_id", "uuid"),
    ("job_id", "uuid"),
    ("job_row_number", "int"),
    ("recipient", "text"),
    ("address", "text"),
    ("client_reference", "text"),
    ("body", "text"),
    ("subject", "text"),
    ("postage", "text"),
    ("international", "bool"),
    ("rate_multiplier", "int"),
    ("created_at", "timestamptz"),
    ("recipient_as_sent", "text"),
    ("one_click_unsubscribe_url", "text"),
    ("scheduled_for", "timestamptz"),
    ("language", "text"),
)
NOTIFICATION_COLS: Cols = (
    ("id", "uuid"),
    ("service_id", "uuid"),
    *REQUEST_COLS,
    ("status", "text"),
    ("status_at", "timestamptz"),
    ("completed_at", "timestamptz"),
    ("failure_reason", "text"),
    ("sent_at", "timestamptz"),
    ("sent_by", "text"),
    ("billable_units", "int"),
    ("updated_at", "timestamptz"),
    ("last_event_at", "timestamptz"),
)
# The ids come back as text: the projection only compares and groups them, as strings, and the
# driver would make a ``uuid.UUID`` of each (and the projection a string of it again).
_IDS = frozenset({"id", "service_id", "template_id", "job_id", "api_key_id"})


def _contribution_columns(alias: str = "") -> str:
    return ", ".join(
        f"CAST({alias}{c} AS text) AS {c}" if c in _IDS else f"{alias}{c}" for c in CONTRIBUTION_COLUMNS
    )


_RETURNING = _contribution_columns("n.")
_WINS = "notify_status_wins(p.status, p.status_at, n.status, n.status_at)"


def _request_set(name: str) -> str:
    value = "CAST(p.address AS jsonb)" if name == "address" else f"p.{name}"
    return f"{name} = CASE WHEN p.created_at IS NOT NULL THEN {value} ELSE n.{name} END"


LOCK_BEFORE = text(
    f"SELECT {_contribution_columns()} FROM notifications "
    "WHERE id = ANY(CAST(:id AS uuid[])) ORDER BY id FOR UPDATE"
)
UPDATE_NOTIFICATIONS = text(f"""
UPDATE notifications AS n SET
    service_id = CASE WHEN p.service_id <> {NIL} THEN p.service_id ELSE n.service_id END,
    {", ".join(_request_set(name) for name, _ in REQUEST_COLS)},
    status = CASE WHEN {_WINS} THEN p.status ELSE n.status END,
    status_at = CASE WHEN {_WINS} THEN p.status_at ELSE n.status_at END,
    completed_at = CASE WHEN {_WINS} THEN p.completed_at ELSE n.completed_at END,
    failure_reason = CASE WHEN {_WINS} THEN p.failure_reason ELSE n.failure_reason END,
    sent_at = LEAST(n.sent_at, p.sent_at),
    sent_by = LEAST(n.sent_by, p.sent_by),
    billable_units = GREATEST(n.billable_units, p.billable_units),
    updated_at = GREATEST(n.updated_at, p.updated_at),
    last_event_at = GREATEST(n.last_event_at, p.last_event_at)
FROM {recordset(NOTIFICATION_COLS, "p")}
WHERE n.id = p.id
RETURNING {_RETURNING}
""")


_INSERT_DEFAULTS = {"international": "false", "rate_multiplier": "1"}


def _insert_value(name: str) -> str:
    if name == "address":
        return "CAST(address AS jsonb)"
    if name == "billable_units":
        return "GREATEST(0, billable_units)"  # as the update merges it into a new row's 0
    if name in _INSERT_DEFAULTS:  # a row inserted before its request has none of its columns
        return f"COALESCE({name}, {_INSERT_DEFAULTS[name]})"
    return name


# The batch's notifications that have no row yet, written once as the update would leave them (a
# patch merged into an empty row is the patch). A row another projector inserted meanwhile is left
# alone (``ON CONFLICT DO NOTHING`` waits for that transaction), and its id is not returned: the
# caller then locks it and merges the patch with ``UPDATE_NOTIFICATIONS``.
INSERT_NOTIFICATIONS = text(f"""
INSERT INTO notifications AS n ({", ".join(name for name, _ in NOTIFICATION_COLS)})
SELECT {", ".join(_insert_value(name) for name, _ in NOTIFICATION_COLS)}
FROM {recordset(NOTIFICATION_COLS)}
ON CONFLICT (id) DO NOTHING
RETURNING {_RETURNING}
""")

# The batch's changes to the in-flight set: ids that left it, ids that joined it. The rows are
# locked in ``notifications`` by then, so two projectors never race on one id, and a joining id
# already present is skipped by ``NOT EXISTS`` rather than ``ON CONFLICT``, whose speculative
# insertion writes a second WAL record for every row.
MOVE_IN_FLIGHT = text("""
WITH landed AS (DELETE FROM notifications_in_flight WHERE id = ANY(CAST(:landed AS uuid[])))
INSERT INTO notifications_in_flight (id)
SELECT u.id FROM unnest(CAST(:flying AS uuid[])) AS u(id)
WHERE NOT EXISTS (SELECT 1 FROM notifications_in_flight f WHERE f.id = u.id)
""")
# The in-flight set of notifications as they stand (the rebuild's bulk load, migration 0029).
FILL_IN_FLIGHT = text(
    "INSERT INTO notifications_in_flight (id) SELECT id FROM notifications "
    f"WHERE status IN {IN_FLIGHT_SQL} AND notification_type IN {TIMED_TYPES_SQL} "
    "ON CONFLICT (id) DO NOTHING"
)

JOB_COLS: Cols = (
    ("id", "uuid"),
    ("service_id", "uuid"),
    ("template_id", "uuid"),
    ("template_version", "int"),
    ("original_file_name", "text"),
    ("created_by", "text"),
    ("notification_count", "int"),
    ("scheduled_for", "timestamptz"),
    ("created_at", "timestamptz"),
    ("job_status", "text"),
    ("job_status_at", "timestamptz"),
    ("rows_emitted", "int"),
    ("processing_started", "timestamptz"),
    ("processing_finished", "timestamptz"),
    ("updated_at", "timestamptz"),
)
_JOB_REQUEST = ("template_id", "template_version", "original_file_name", "created_by", "notification_count")
_JOB_WINS = (
    "(notify_job_status_rank(EXCLUDED.job_status) > notify_job_status_rank(jobs.job_status) OR "
    "(notify_job_status_rank(EXCLUDED.job_status) = notify_job_status_rank(jobs.job_status) AND "
    "notify_job_status_rank(EXCLUDED.job_status) >= 3 AND "
    "(EXCLUDED.job_status_at, EXCLUDED.job_status) < (jobs.job_status_at, jobs.job_status)))"
)
UPSERT_JOBS = text(f"""
INSERT INTO jobs ({", ".join(name for name, _ in JOB_COLS)})
SELECT {", ".join("NULLIF(job_status, '')" if n == "job_status" else n for n, _ in JOB_COLS)}
FROM {unnest(JOB_COLS)}
ON CONFLICT (id) DO UPDATE SET
    service_id = COALESCE(jobs.service_id, EXCLUDED.service_id),
    {
    ", ".join(
        f"{c} = CASE WHEN EXCLUDED.created_at IS NOT NULL THEN EXCLUDED.{c} ELSE jobs.{c} END"
        for c in (*_JOB_REQUEST, "scheduled_for")
    )
},
    created_at = COALESCE(EXCLUDED.created_at, jobs.created_at),
    job_status = CASE WHEN {_JOB_WINS} THEN EXCLUDED.job_status ELSE jobs.job_status END,
    job_status_at = CASE WHEN {_JOB_WINS} THEN EXCLUDED.job_status_at ELSE jobs.job_status_at END,
    rows_emitted = GREATEST(jobs.rows_emitted, EXCLUDED.rows_emitted),
    processing_started = LEAST(jobs.processing_started, EXCLUDED.processing_started),
    processing_finished = LEAST(jobs.processing_finished, EXCLUDED.processing_finished),
    updated_at = GREATEST(jobs.updated_at, EXCLUDED.updated_at)
""")


def increment(table: str, keys: Cols, values: Cols) -> TextClause:
    """Add the batch's deltas to an aggregate, creating rows as needed."""
    names = [n for n, _ in (*keys, *values)]
    sets = ", ".join(f"{n} = {table}.{n} + EXCLUDED.{n}" for n, _ in values)
    return text(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {unnest((*keys, *values))} "
        f"ON CONFLICT ({', '.join(n for n, _ in keys)}) DO UPDATE SET {sets}"
    )


def delete_empty(table: str, keys: Cols, zero_column: str) -> TextClause:
    """Drop aggregate rows that fell to zero, so a rebuilt aggregate matches the live one."""
    names = ", ".join(n for n, _ in keys)
    return text(
        f"DELETE FROM {table} WHERE {zero_column} = 0 AND ({names}) IN (SELECT {names} FROM {unnest(keys)})"
    )


JOB_COUNT_KEYS: Cols = (("id", "uuid"),)
JOB_COUNT_VALUES: Cols = (
    ("notifications_requested", "int"),
    ("notifications_sent", "int"),
    ("notifications_delivered", "int"),
    ("notifications_failed", "int"),
)
FT_STATUS_KEYS: Cols = (
    ("bst_date", "date"),
    ("template_id", "uuid"),
    ("service_id", "uuid"),
    ("job_id", "uuid"),
    ("notification_type", "text"),
    ("key_type", "text"),
    ("notification_status", "text"),
)
FT_STATUS_VALUES: Cols = (("notification_count", "int"),)
FT_BILLING_KEYS: Cols = (
    ("bst_date", "date"),
    ("template_id", "uuid"),
    ("service_id", "uuid"),
    ("notification_type", "text"),
    ("provider", "text"),
    ("rate_multiplier", "int"),
    ("international", "bool"),
    ("postage", "text"),
)
FT_BILLING_VALUES: Cols = (("billable_units", "bigint"), ("notifications_sent", "int"))
FT_PROCESSING_KEYS: Cols = (("bst_date", "date"),)
FT_PROCESSING_VALUES: Cols = (("messages_total", "int"), ("messages_within_10_secs", "int"))

# aggregate name -> (table, key columns, value columns, column that is zero when the row is empty)
AGGREGATES: dict[str, tuple[str, Cols, Cols, str | None]] = {
    "jobs": ("jobs", JOB_COUNT_KEYS, JOB_COUNT_VALUES, None),
    "ft_notification_status": (
        "ft_notification_status",
        FT_STATUS_KEYS,
        FT_STATUS_VALUES,
        "notification_count",
    ),
    "ft_billing": ("ft_billing", FT_BILLING_KEYS, FT_BILLING_VALUES, "notifications_sent"),
    "ft_processing_time": ("ft_processing_time", FT_PROCESSING_KEYS, FT_PROCESSING_VALUES, "messages_total"),
}


def insert_new(table: str, cols: Cols, conflict: str) -> TextClause:
    """Insert rows that are facts once recorded (inbound texts, complaints, attempts): first wins."""
    names = ", ".join(n for n, _ in cols)
    return text(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {unnest(cols)} "
        f"ON CONFLICT ({conflict}) DO NOTHING"
    )


INBOUND_COLS: Cols = (
    ("id", "uuid"),
    ("service_id", "uuid"),
    ("user_number", "text"),
    ("notify_number", "text"),
    ("content", "text"),
    ("provider", "text"),
    ("provider_reference", "text"),
    ("created_at", "timestamptz"),
)
COMPLAINT_COLS: Cols = (
    ("id", "uuid"),
    ("notification_id", "uuid"),
    ("service_id", "uuid"),
    ("feedback_id", "text"),
    ("complaint_type", "text"),
    ("complaint_date", "timestamptz"),
    ("created_at", "timestamptz"),
)
ATTEMPT_COLS: Cols = (
    ("event_id", "uuid"),
    ("service_id", "uuid"),
    ("notification_id", "uuid"),
    ("inbound_sms_id", "uuid"),
    ("callback_type", "text"),
    ("attempt", "int"),
    ("outcome", "text"),
    ("status_code", "int"),
    ("duration_ms", "int"),
    ("reason", "text"),
    ("occurred_at", "timestamptz"),
)
REFERENCE_COLS: Cols = (
    ("reference", "text"),
    ("provider", "text"),
    ("notification_id", "uuid"),
    ("service_id", "uuid"),
)
INSERT_INBOUND = insert_new("inbound_sms", INBOUND_COLS, "id")
INSERT_COMPLAINTS = insert_new("complaints", COMPLAINT_COLS, "id")
INSERT_ATTEMPTS = insert_new("callback_attempts", ATTEMPT_COLS, "event_id")
INSERT_REFERENCES = insert_new("provider_references", REFERENCE_COLS, "reference")
