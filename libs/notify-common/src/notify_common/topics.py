"""The one declaration of every Kafka topic and every consumer group of the platform.

The local platform provisions exactly these topics at start (``notify_common.provision``), the Helm
chart renders its optional Strimzi KafkaTopic resources from the export of this module
(``python -m notify_common.topics --json``), and a test checks the two agree.

Keys are always the notification id (or the job id for job topics), so one notification's events
stay in order within a partition.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Topic:
    """A Kafka topic: its name, partitions, retention and which consumer groups read it."""

    name: str
    partitions: int
    retention_ms: int
    description: str
    cleanup_policy: str = "delete"
    consumer_groups: tuple[str, ...] = field(default_factory=tuple)

    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


# Consumer groups: one per service role.
GROUP_SMS_SENDER = "sms-sender"
GROUP_EMAIL_SENDER = "email-sender"
GROUP_LETTER_SENDER = "letter-sender"
GROUP_PROJECTOR = "projector"
GROUP_CALLBACKS = "callbacks"
GROUP_JOB_SPLITTER = "job-splitter"
GROUP_RECEIPTS = "receipts"
# The admin-api reads back its own history of configuration changes into its table.
GROUP_ADMIN_API = "admin-api"
# The analytics workers are a faust-streaming application: faust keeps their offsets under this
# group and retries nothing (a record it cannot decode is counted and skipped), so the group has
# no retry or dead-letter topic and is not listed as a reader below.
GROUP_ANALYTICS = "notify.analytics"

# Requests: one priority lane and one bulk lane per channel, so that a big CSV job never queues
# in front of another service's one-off sign-in code (see docs/adr/0002-fairness-lanes.md).
SMS_REQUESTED = "notify.sms.requested"
SMS_REQUESTED_BULK = "notify.sms.requested.bulk"
EMAIL_REQUESTED = "notify.email.requested"
EMAIL_REQUESTED_BULK = "notify.email.requested.bulk"
LETTER_REQUESTED = "notify.letter.requested"
LETTER_REQUESTED_BULK = "notify.letter.requested.bulk"
# Everything that happens to a notification after it was requested: sent, delivered, failed, ...
NOTIFICATION_STATUS = "notify.notification.status"
JOBS = "notify.jobs"
# Commands to the job-splitter (cancel a scheduled job): it alone writes its store of jobs, so others
# ask it here and read the outcome back from that store or from the jobs topic.
JOB_COMMANDS = "notify.jobs.commands"
INBOUND_SMS = "notify.inbound-sms"
CALLBACK_OUTCOMES = "notify.callback-outcomes"
# Receipts and inbound texts the receipts service took while it could not ask the database whether
# they are genuine: its own consumer checks them later and passes on only those that are.
RECEIPTS_UNCHECKED = "notify.receipts.unchecked"
# Recipients' requests to unsubscribe through the platform's hosted link (docs/unsubscribe.md).
UNSUBSCRIBE_REQUESTS = "notify.unsubscribe-requests"
# Every change to a service's configuration (docs/audit-history.md), keyed by the service.
SERVICE_HISTORY = "notify.service-history"

# Analytics (docs/analytics.md): windowed statistics of the lifecycle topics. Results are one
# compacted record per window cell and source partition; the state topics are the changelogs of
# the workers' tables (same partition counts as the topics they summarise).
ANALYTICS_WINDOW_STATS = "notify.analytics.window-stats"
ANALYTICS_STATE_LIFECYCLE = "notify.analytics.state.lifecycle"
ANALYTICS_STATE_LETTERS = "notify.analytics.state.letters"

FOREVER = -1
REQUEST_RETENTION = 7 * DAY_MS
# The request topics, the status topic and the inbound topic carry personal data (recipients,
# content, the public's numbers and texts). The views delete it after the service's retention
# (at most 90 days, docs/lifecycle.md); the log must not keep it longer, so these topics keep
# records for the maximum service retention plus a 2-day margin (London days, late receipts).
# A rebuild therefore replays only this window; it keeps the anonymised facts of older days.
MAX_SERVICE_RETENTION_DAYS = 90
PERSONAL_DATA_RETENTION = (MAX_SERVICE_RETENTION_DAYS + 2) * DAY_MS


def _retry(group: str) -> str:
    return f"notify.retry.{group}"


def _dead_letter(group: str) -> str:
    return f"notify.dlq.{group}"


def retry_topic(group: str) -> str:
    """Where a consumer group sends work that failed in a way worth retrying later."""
    return _retry(group)


def dead_letter_topic(group: str) -> str:
    """Where a consumer group parks work whose retries are exhausted, for people to inspect."""
    return _dead_letter(group)


_LIFECYCLE_READERS = (GROUP_PROJECTOR, GROUP_CALLBACKS)

_MAIN_TOPICS: tuple[Topic, ...] = (
    Topic(
        SMS_REQUESTED,
        6,
        PERSONAL_DATA_RETENTION,
        "SMS notifications accepted by the API, priority lane",
        consumer_groups=(GROUP_SMS_SENDER, GROUP_PROJECTOR),
    ),
    Topic(
        SMS_REQUESTED_BULK,
        6,
        PERSONAL_DATA_RETENTION,
        "SMS notifications from CSV jobs, bulk lane",
        consumer_groups=(GROUP_SMS_SENDER, GROUP_PROJECTOR),
    ),
    Topic(
        EMAIL_REQUESTED,
        6,
        PERSONAL_DATA_RETENTION,
        "Email notifications accepted by the API, priority lane",
        consumer_groups=(GROUP_EMAIL_SENDER, GROUP_PROJECTOR),
    ),
    Topic(
        EMAIL_REQUESTED_BULK,
        6,
        PERSONAL_DATA_RETENTION,
        "Email notifications from CSV jobs, bulk lane",
        consumer_groups=(GROUP_EMAIL_SENDER, GROUP_PROJECTOR),
    ),
    Topic(
        LETTER_REQUESTED,
        3,
        PERSONAL_DATA_RETENTION,
        "Letter notifications accepted by the API",
        consumer_groups=(GROUP_LETTER_SENDER, GROUP_PROJECTOR),
    ),
    Topic(
        LETTER_REQUESTED_BULK,
        3,
        PERSONAL_DATA_RETENTION,
        "Letter notifications from CSV jobs",
        consumer_groups=(GROUP_LETTER_SENDER, GROUP_PROJECTOR),
    ),
    Topic(
        NOTIFICATION_STATUS,
        6,
        PERSONAL_DATA_RETENTION,
        "Lifecycle events after the request: sent to provider, delivered, failed, timed out",
        # The receipts service learns from the send events which notifications providers were given.
        consumer_groups=(*_LIFECYCLE_READERS, GROUP_RECEIPTS),
    ),
    Topic(
        JOBS,
        3,
        FOREVER,
        "CSV job requested, scheduled, cancelled, progress and status",
        consumer_groups=(GROUP_JOB_SPLITTER, GROUP_PROJECTOR),
    ),
    Topic(
        JOB_COMMANDS,
        3,
        # A job is scheduled at most 7 days ahead: an older command has nothing left to cancel.
        REQUEST_RETENTION,
        "Commands to the job-splitter: cancel a scheduled job",
        consumer_groups=(GROUP_JOB_SPLITTER,),
    ),
    Topic(
        INBOUND_SMS,
        3,
        PERSONAL_DATA_RETENTION,
        "Text messages received from the public",
        consumer_groups=_LIFECYCLE_READERS,
    ),
    Topic(
        CALLBACK_OUTCOMES,
        3,
        30 * DAY_MS,
        "Every attempt to call a service's callback URL",
        consumer_groups=(GROUP_PROJECTOR,),
    ),
    Topic(
        RECEIPTS_UNCHECKED,
        6,
        PERSONAL_DATA_RETENTION,
        "Receipts and inbound texts taken while the database could not check them, checked later",
        consumer_groups=(GROUP_RECEIPTS,),
    ),
    Topic(
        UNSUBSCRIBE_REQUESTS,
        3,
        # No personal data (ids and times): kept as long as the requests' personal data may be.
        PERSONAL_DATA_RETENTION,
        "Requests to unsubscribe through the hosted link of an email",
        consumer_groups=(GROUP_PROJECTOR,),
    ),
    Topic(
        SERVICE_HISTORY,
        3,
        # No personal data and no secrets (ids, field names, settings): the history is kept for
        # good, like the table it fills.
        FOREVER,
        "Changes to services' configuration: who, when, what changed",
        consumer_groups=(GROUP_ADMIN_API,),
    ),
)

_ANALYTICS_TOPICS: tuple[Topic, ...] = (
    Topic(
        ANALYTICS_WINDOW_STATS,
        6,
        FOREVER,
        "Analytics results: counts and delivery times per minute, hour and day window",
        cleanup_policy="compact",
    ),
    Topic(
        ANALYTICS_STATE_LIFECYCLE,
        6,
        FOREVER,
        "Changelog of the analytics state of the SMS, email and status topics",
        cleanup_policy="compact",
    ),
    Topic(
        ANALYTICS_STATE_LETTERS,
        3,
        FOREVER,
        "Changelog of the analytics state of the letter request topics",
        cleanup_policy="compact",
    ),
)

_CONSUMER_GROUPS = sorted({g for t in _MAIN_TOPICS for g in t.consumer_groups})

_RETRY_TOPICS: tuple[Topic, ...] = tuple(
    t
    for group in _CONSUMER_GROUPS
    for t in (
        Topic(
            _retry(group),
            3,
            7 * DAY_MS,
            f"Retries with backoff for the {group} group",
            consumer_groups=(group,),
        ),
        Topic(_dead_letter(group), 1, 90 * DAY_MS, f"Work the {group} group gave up on"),
    )
)

TOPICS: tuple[Topic, ...] = _MAIN_TOPICS + _ANALYTICS_TOPICS + _RETRY_TOPICS
TOPICS_BY_NAME: dict[str, Topic] = {t.name: t for t in TOPICS}
CONSUMER_GROUPS: tuple[str, ...] = tuple(_CONSUMER_GROUPS)

REQUESTED_TOPICS: dict[str, tuple[str, str]] = {
    "sms": (SMS_REQUESTED, SMS_REQUESTED_BULK),
    "email": (EMAIL_REQUESTED, EMAIL_REQUESTED_BULK),
    "letter": (LETTER_REQUESTED, LETTER_REQUESTED_BULK),
}


def requested_topic(channel: str, *, bulk: bool = False) -> str:
    """The topic a new notification of ``channel`` is written to, in its lane."""
    priority, bulk_lane = REQUESTED_TOPICS[channel]
    return bulk_lane if bulk else priority


def topics_read_by(group: str) -> list[str]:
    """Every topic a consumer group subscribes to, its retry topic included."""
    return [t.name for t in TOPICS if group in t.consumer_groups]


def as_document() -> dict[str, object]:
    """The declaration as plain data, for the Helm chart and for people."""
    return {
        "topics": [{**asdict(t), "consumer_groups": list(t.consumer_groups)} for t in TOPICS],
        "consumer_groups": list(CONSUMER_GROUPS),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the platform's topic declaration.")
    parser.add_argument("--json", action="store_true", help="print as JSON (the default)")
    parser.parse_args(argv)
    json.dump(as_document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
