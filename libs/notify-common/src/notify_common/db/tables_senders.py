"""Tables owned by the channel senders, sharing ``tables.metadata``.

* ``sms_provider_weights``: the current share of SMS traffic each provider gets (0-100). Every
  sms-sender instance reads it every few seconds; changes are made under a row lock, at most one
  a minute, as in Notify's ``provider_details``.
* ``sms_provider_weight_changes``: every change of those weights with its reason (errors, slow
  receipts, recovery, manual), as Notify's ``provider_details_history``.

Each sender's claims are its own table, ``sms_send_claims``, ``email_send_claims`` and
``letter_send_claims`` (migration 0018; before it, one ``send_claims`` table with a row per
notification of any channel): one row per notification, claimed before any provider call
(``notify_common.send_claims``), with why a claim failed, what recovering an in-doubt claim decided
and the trace context a receipt joins. The receipts service reads every channel's claims through
the senders' read contract ``claimed_sends`` (``contracts``); the view ``send_claims``, their union
with every column, is for people and tests.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Identity, Integer, String, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notify_common.db.tables import TS, metadata

sms_provider_weights = Table(
    "sms_provider_weights",
    metadata,
    Column("provider", String(64), primary_key=True),
    Column("weight", Integer, nullable=False),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
)

sms_provider_weight_changes = Table(
    "sms_provider_weight_changes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("changed_at", TS, nullable=False, server_default=text("now()")),
    Column("weights_before", JSONB, nullable=False),
    Column("weights_after", JSONB, nullable=False),
    Column("reason", String(32), nullable=False),  # errors | slow-receipts | recovery | manual
    Column("detail", Text, nullable=True),
)


def _claims(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("notification_id", UUID(as_uuid=False), primary_key=True),
        Column("channel", String(16), nullable=False),
        Column("claimed_at", TS, nullable=False, server_default=text("now()")),
        Column("attempts", Integer, nullable=False, server_default=text("1")),
        Column("provider", String(64), nullable=True),
        Column("provider_reference", String(255), nullable=True),
        Column("sent_at", TS, nullable=True),
        Column("outcome", String(32), nullable=True),  # null while in flight; sent | failed
        Column("failure_kind", String(32), nullable=True),
        Column("failure_reason", Text, nullable=True),
        Column("recovery", String(32), nullable=True),
        # The trace context of the claim, for the receipt to join (notify_common.tracing).
        Column("traceparent", String(55), nullable=True),
    )


sms_send_claims = _claims("sms_send_claims")
email_send_claims = _claims("email_send_claims")
letter_send_claims = _claims("letter_send_claims")
