"""What one notification row adds to the aggregates: its job's progress counts and the daily facts.

The projector reads each touched row before and after a batch (under a row lock) and applies the
difference of the two rows' contributions, so every aggregate always equals the sum over the
current rows, whatever order the events came in and however often they were replayed. Rows
removed by retention are deleted directly, not through here, so the facts keep them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from notify_common import statuses as s
from notify_projector.tables import NO_JOB

LONDON = ZoneInfo("Europe/London")
WITHIN = timedelta(seconds=10)

SENT = frozenset({s.SENDING, s.PENDING, s.SENT, s.DELIVERED, s.TEMPORARY_FAILURE, s.PERMANENT_FAILURE})
DELIVERED = frozenset({s.DELIVERED, s.SENT})
FAILED = frozenset(
    {
        s.TECHNICAL_FAILURE,
        s.TEMPORARY_FAILURE,
        s.PERMANENT_FAILURE,
        s.VALIDATION_FAILED,
        s.VIRUS_SCAN_FAILED,
        s.RETURNED_LETTER,
    }
)
BILLABLE = {
    "sms": frozenset({s.SENDING, s.SENT, s.DELIVERED, s.PENDING, s.TEMPORARY_FAILURE, s.PERMANENT_FAILURE}),
    "email": frozenset({s.SENDING, s.SENT, s.DELIVERED, s.PENDING, s.TEMPORARY_FAILURE, s.PERMANENT_FAILURE}),
    "letter": frozenset({s.SENDING, s.DELIVERED, s.RETURNED_LETTER}),
}

# The columns a contribution depends on; the projector reads exactly these before and after.
COLUMNS = (
    "id",
    "service_id",
    "template_id",
    "job_id",
    "notification_type",
    "key_type",
    "api_key_id",
    "status",
    "created_at",
    "sent_at",
    "billable_units",
    "rate_multiplier",
    "international",
    "postage",
    "sent_by",
)

Key = tuple[Any, ...]
Totals = dict[str, dict[Key, list[int]]]


def contributions(row: Mapping[Any, Any]) -> Iterable[tuple[str, Key, tuple[int, ...]]]:
    """(aggregate, key, counts) triples this row adds; none for a row not yet requested."""
    created = row["created_at"]
    if created is None or row["template_id"] is None:
        return
    status, kind = row["status"], row["notification_type"]
    if row["job_id"] is not None:
        yield (
            "jobs",
            (str(row["job_id"]),),
            (1, int(status in SENT), int(status in DELIVERED), int(status in FAILED)),
        )
    day = created.astimezone(LONDON).date()
    template, service = str(row["template_id"]), str(row["service_id"])
    job = str(row["job_id"]) if row["job_id"] is not None else NO_JOB
    yield "ft_notification_status", (day, template, service, job, kind, row["key_type"], status), (1,)
    if row["key_type"] != "test" and status in BILLABLE.get(kind, ()):
        key = (
            day,
            template,
            service,
            kind,
            row["sent_by"] or "",
            row["rate_multiplier"],
            row["international"],
            row["postage"] or "",
        )
        yield "ft_billing", key, (row["billable_units"], 1)
    api_sent = row["job_id"] is None and row["api_key_id"] is not None
    if api_sent and row["key_type"] != "test" and kind != "letter":
        sent_at = row["sent_at"]
        quick = sent_at is not None and sent_at - created <= WITHIN
        yield "ft_processing_time", (day,), (1, int(quick))


def deltas(before: Iterable[Mapping[Any, Any]], after: Iterable[Mapping[Any, Any]]) -> Totals:
    """after minus before, per aggregate and key, without keys whose difference is all zero."""
    totals: Totals = defaultdict(dict)
    for sign, rows in ((-1, before), (1, after)):
        for row in rows:
            for aggregate, key, counts in contributions(row):
                current = totals[aggregate].setdefault(key, [0] * len(counts))
                for i, value in enumerate(counts):
                    current[i] += sign * value
    return {
        aggregate: {key: counts for key, counts in by_key.items() if any(counts)}
        for aggregate, by_key in totals.items()
    }
