"""Realistic streams of lifecycle events for projection tests and the benchmark: requested, sent,
pending, delivered or failed (sometimes both, sometimes twice), CSV jobs with progress, inbound
texts, complaints and callback attempts, for a few services, deterministic for a seed."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from notify_common import topics
from notify_common.events import (
    CallbackAttempted,
    CallbackOutcome,
    CallbackType,
    Channel,
    ComplaintReceived,
    EmailRequested,
    Event,
    FailureKind,
    InboundSmsReceived,
    JobProgressed,
    JobRequested,
    JobStatus,
    JobStatusChanged,
    LetterRequested,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
    SmsRequested,
)

NIL = "00000000-0000-0000-0000-000000000000"
T0 = datetime(2026, 10, 30, 22, 30, tzinfo=UTC)  # crosses midnight in London: two fact days


@dataclass
class Stream:
    events: list[tuple[str, Event]] = field(default_factory=list)  # (topic, event) in log order
    service_ids: list[str] = field(default_factory=list)

    def add(self, topic: str, event: Event) -> None:
        self.events.append((topic, event))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _requested(
    rng: random.Random, channel: str, nid: str, sid: str, at: datetime, job_id: str | None, row: int | None
) -> Event:
    common: dict[str, Any] = {
        "notification_id": nid,
        "service_id": sid,
        "occurred_at": at,
        "template_id": str(uuid.uuid5(uuid.NAMESPACE_URL, sid + channel)),
        "template_version": 1,
        "key_type": rng.choice(["normal", "normal", "normal", "team", "test"]),
        "api_key_id": None if job_id else _uuid(rng),
        "job_id": job_id,
        "job_row_number": row,
        "client_reference": rng.choice([None, "ref-" + str(rng.randint(1, 99))]),
        "created_at": at,
    }
    if channel == "sms":
        return SmsRequested(
            **common,
            phone_number=(number := "4477009" + str(rng.randint(10000, 99999))),
            phone_number_as_sent=rng.choice([None, "0" + number[2:], "+" + number]),
            scheduled_for=rng.choice([None, at - timedelta(minutes=rng.randint(1, 60))]),
            international=rng.random() < 0.05,
            sender="GOVUK",
            body="Your code is " + str(rng.randint(1000, 9999)),
            fragment_count=rng.choice([1, 1, 2, 3]),
            rate_multiplier=1,
        )
    if channel == "email":
        return EmailRequested(
            **common,
            email_address=(address := f"person{rng.randint(1, 9999)}@example.com"),
            email_address_as_sent=rng.choice([None, address.capitalize()]),
            one_click_unsubscribe_url=rng.choice([None, "https://example.gov.uk/unsubscribe"]),
            scheduled_for=rng.choice([None, at - timedelta(minutes=rng.randint(1, 60))]),
            subject="Your appointment",
            body="See you soon",
            from_name="Service",
        )
    return LetterRequested(
        **common,
        address_lines=("A Person", "1 Street", "Town", "SW1A 1AA"),
        postage="second",
        subject="Your letter",
        body="Dear person",
    )


def lifecycle_stream(n: int, seed: int = 7, services: int = 3, t0: datetime = T0) -> Stream:
    """``n`` notifications and the rest of a busy platform's events, in log order."""
    rng = random.Random(seed)
    T0 = t0
    stream = Stream(service_ids=[_uuid(rng) for _ in range(services)])
    jobs: dict[str, list[str]] = {}
    for sid in stream.service_ids:
        new_job = _uuid(rng)
        jobs[new_job] = []
        stream.add(
            topics.JOBS,
            JobRequested(
                service_id=sid, occurred_at=T0, job_id=new_job, template_id=_uuid(rng), template_version=1,
                channel=Channel.SMS, key_type="normal", bucket="b", object_key="k", original_file_name="f.csv",
                row_count=n // (services * 4) + 1,
            ),
        )  # fmt: skip
        stream.add(
            topics.JOBS,
            JobStatusChanged(
                service_id=sid, occurred_at=T0 + timedelta(seconds=1), job_id=new_job, status=JobStatus.IN_PROGRESS
            ),
        )  # fmt: skip
    job_ids = list(jobs)
    for i in range(n):
        sid = rng.choice(stream.service_ids)
        channel = rng.choices(["sms", "email", "letter"], weights=[6, 3, 1])[0]
        at = T0 + timedelta(seconds=i * 7200 / n + 2)
        job_id: str | None = rng.choice(job_ids) if rng.random() < 0.25 else None
        nid = _uuid(rng)
        row: int | None = None
        if job_id is not None:
            jobs[job_id].append(nid)
            row = len(jobs[job_id])
        requested = _requested(rng, channel, nid, sid, at, job_id, row)
        stream.add(topics.requested_topic(channel, bulk=job_id is not None), requested)
        if rng.random() < 0.03:
            continue  # never sent (yet)
        sent_at = at + timedelta(seconds=rng.choice([1, 2, 5, 30]))
        reference = nid if channel == "sms" else _uuid(rng)
        stream.add(
            topics.NOTIFICATION_STATUS,
            NotificationSentToProvider(
                notification_id=nid, service_id=sid, occurred_at=sent_at,
                channel=Channel(channel), provider={"sms": "mmg", "email": "ses", "letter": "dvla"}[channel],
                provider_reference=reference, sent_at=sent_at,
                billable_units=requested.fragment_count if isinstance(requested, SmsRequested) else 1,
                international=isinstance(requested, SmsRequested) and requested.international,
            ),
        )  # fmt: skip
        receipt_at = sent_at + timedelta(seconds=rng.randint(1, 120))
        if channel == "sms" and rng.random() < 0.2:
            stream.add(
                topics.NOTIFICATION_STATUS,
                NotificationPending(notification_id=nid, service_id=NIL, occurred_at=receipt_at, provider="firetext"),
            )  # fmt: skip
            receipt_at += timedelta(seconds=5)
        outcomes = rng.choices(["delivered", "failed", "both", "twice", "none"], weights=[70, 15, 5, 5, 5])[0]
        if outcomes in ("delivered", "both", "twice"):
            stream.add(
                topics.NOTIFICATION_STATUS,
                NotificationDelivered(
                    notification_id=nid, service_id=NIL, occurred_at=receipt_at, provider="mmg",
                    provider_reference=reference, delivered_at=receipt_at,
                ),
            )  # fmt: skip
        if outcomes in ("failed", "both"):
            failed_at = receipt_at + timedelta(seconds=rng.choice([-3, 4]))
            stream.add(
                topics.NOTIFICATION_STATUS,
                NotificationFailed(
                    notification_id=nid, service_id=NIL, occurred_at=failed_at,
                    failure_kind=rng.choice([FailureKind.PERMANENT_FAILURE, FailureKind.TEMPORARY_FAILURE]),
                    provider="mmg", reason="absent subscriber", failed_at=failed_at,
                ),
            )  # fmt: skip
        if outcomes == "twice":
            later = receipt_at + timedelta(seconds=9)
            stream.add(
                topics.NOTIFICATION_STATUS,
                NotificationDelivered(
                    notification_id=nid, service_id=NIL, occurred_at=later, provider="mmg",
                    provider_reference=reference, delivered_at=later,
                ),
            )  # fmt: skip
        if channel == "email" and rng.random() < 0.05:
            stream.add(
                topics.NOTIFICATION_STATUS,
                ComplaintReceived(
                    notification_id=nid, service_id=sid, occurred_at=receipt_at + timedelta(hours=1),
                    complaint_id=_uuid(rng), complaint_type="abuse", feedback_id=_uuid(rng),
                    complained_at=receipt_at + timedelta(hours=1),
                ),
            )  # fmt: skip
        if rng.random() < 0.1:
            for attempt in (1, 2):
                stream.add(
                    topics.CALLBACK_OUTCOMES,
                    CallbackAttempted(
                        notification_id=nid, service_id=sid, occurred_at=receipt_at + timedelta(seconds=attempt),
                        callback_type=CallbackType.DELIVERY_STATUS, attempt=attempt,
                        outcome=CallbackOutcome.RETRYING if attempt == 1 else CallbackOutcome.SUCCEEDED,
                        status_code=500 if attempt == 1 else 200, duration_ms=12,
                    ),
                )  # fmt: skip
        if rng.random() < 0.05:
            stream.add(
                topics.INBOUND_SMS,
                InboundSmsReceived(
                    service_id=sid, occurred_at=at, inbound_sms_id=_uuid(rng), user_number="447700900111",
                    notify_number="447700900222", content="STOP", provider="mmg", received_at=at,
                ),
            )  # fmt: skip
    end = T0 + timedelta(hours=3)
    for job_id, members in jobs.items():
        sid = next(
            e.service_id for _, e in stream.events if isinstance(e, JobRequested) and e.job_id == job_id
        )
        stream.add(
            topics.JOBS,
            JobProgressed(service_id=sid, occurred_at=end, job_id=job_id, rows_emitted=len(members), row_count=len(members)),
        )  # fmt: skip
        stream.add(
            topics.JOBS,
            JobStatusChanged(service_id=sid, occurred_at=end, job_id=job_id, status=JobStatus.FINISHED),
        )  # fmt: skip
    return stream
