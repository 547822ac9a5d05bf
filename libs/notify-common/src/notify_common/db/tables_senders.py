"""Tables owned by the channel senders, sharing ``tables.metadata``.

* ``sms_provider_weights``: the current share of SMS traffic each provider gets (0-100). Every
  sms-sender instance reads it every few seconds; changes are made under a row lock, at most one
  a minute, as in Notify's ``provider_details``.
* ``sms_provider_weight_changes``: every change of those weights with its reason (errors, slow
  receipts, recovery, manual), as Notify's ``provider_details_history``.

``send_claims`` (tables.py) is the senders' too: one row per notification, claimed before any
provider call. Migration 0003 adds why a claim failed, and 0012 what recovering an in-doubt claim
decided, and 0015 the trace context a receipt joins; the columns are added to the table here so
that ``metadata`` matches the schema without touching tables.py.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Identity, Integer, String, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB

from notify_common.db.tables import TS, metadata, send_claims

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

send_claims.append_column(Column("failure_kind", String(32), nullable=True))
send_claims.append_column(Column("failure_reason", Text, nullable=True))
send_claims.append_column(Column("recovery", String(32), nullable=True))
# Migration 0015: the trace context of the claim, for the receipt to join (notify_common.tracing).
send_claims.append_column(Column("traceparent", String(55), nullable=True))
