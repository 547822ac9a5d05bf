"""Provider receipt codes mapped to Notify statuses, as data."""

from __future__ import annotations

DELIVERED = "delivered"
PERMANENT = "permanent_failure"
TEMPORARY = "temporary_failure"
PENDING = "pending"
TECHNICAL = "technical_failure"
RETURNED = "returned_letter"
COMPLAINT = "complaint"

# MMG: the ``status`` field decides.
MMG_STATUS = {"3": DELIVERED, "2": PERMANENT, "5": PERMANENT, "4": TEMPORARY}

# Firetext: ``status`` decides, and for failures the ``code`` tells permanent from temporary.
FIRETEXT_STATUS = {"0": DELIVERED, "1": PERMANENT, "2": PENDING}
FIRETEXT_PERMANENT_CODES = frozenset({"101", "201", "301", "401"})
FIRETEXT_TEMPORARY_CODES = frozenset({"000", "102", "103", "104", "302", "900"})

# SES (through SNS): the event type decides; for bounces the bounce type does. Anything but a
# permanent bounce is soft ("Transient", "Undetermined").
SES_EVENT = {"Delivery": DELIVERED, "Bounce": TEMPORARY, "Complaint": COMPLAINT}
SES_BOUNCE_TYPE = {"Permanent": PERMANENT}

# The print provider (DVLA-style print job status).
PRINT_JOB_STATUS = {"DESPATCHED": DELIVERED, "REJECTED": TECHNICAL}


def mmg_outcome(status: str) -> str:
    """The outcome of an MMG receipt; an unknown status is a technical failure, as in Notify."""
    return MMG_STATUS.get(status.strip(), TECHNICAL)


def firetext_outcome(status: str, code: str | None) -> str:
    outcome = FIRETEXT_STATUS.get(status.strip(), TECHNICAL)
    if outcome == PERMANENT and code is not None and code.strip() in FIRETEXT_TEMPORARY_CODES:
        return TEMPORARY
    return outcome


def ses_outcome(event_type: str, bounce_type: str | None) -> str | None:
    """The outcome of an SES event; None for event types that change nothing (Send, Open...)."""
    outcome = SES_EVENT.get(event_type)
    if outcome == TEMPORARY:
        return SES_BOUNCE_TYPE.get(bounce_type or "", TEMPORARY)
    return outcome


def print_outcome(job_status: str) -> str | None:
    return PRINT_JOB_STATUS.get(job_status.strip().upper())


# SNS text messages (delivery-status logs in CloudWatch Logs, docs/senders.md): ``status`` SUCCESS is
# delivered; for FAILURE, AWS's documented ``delivery.providerResponse`` reasons decide. Refusals on
# the recipient's side are permanent; an unreachable phone or carrier is temporary (as MMG's
# "absent subscriber"); what our account or content caused (carrier or spam blocks, the price cap, an
# invalid body) is technical, so a service is not told the number is bad. Unlisted reasons are
# temporary. Keys are compared lower-case, without a trailing full stop.
SNS_SMS_STATUS = {"SUCCESS": DELIVERED, "FAILURE": TEMPORARY}
SNS_SMS_FAILURE_REASON = {
    "invalid phone number": PERMANENT,
    "phone number is opted out": PERMANENT,
    "phone has blocked sms": PERMANENT,
    "phone is on a blocked list": PERMANENT,
    "destination is on a blocked list": PERMANENT,
    "phone is currently unreachable/unavailable": TEMPORARY,
    "phone carrier is currently unreachable/unavailable": TEMPORARY,
    "unknown error attempting to reach phone": TEMPORARY,
    "blocked as spam by phone carrier": TECHNICAL,
    "phone carrier has blocked this message": TECHNICAL,
    "message body is invalid": TECHNICAL,
    "this delivery would exceed max price": TECHNICAL,
}


def sns_sms_outcome(status: str, provider_response: str | None) -> str:
    """The outcome of an SNS SMS delivery-status record; an unknown status is a technical failure."""
    outcome = SNS_SMS_STATUS.get(status.strip().upper(), TECHNICAL)
    if status.strip().upper() != "FAILURE":
        return outcome
    reason = (provider_response or "").strip().rstrip(".").lower()
    return SNS_SMS_FAILURE_REASON.get(reason, TEMPORARY)
