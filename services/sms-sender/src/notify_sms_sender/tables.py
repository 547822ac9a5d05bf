"""The sms-sender's tables, on a ``MetaData`` of its own.

* ``sms_provider_weights``: the current share of SMS traffic each provider gets (0-100). Every
  sms-sender instance reads it every few seconds; changes are made under a row lock, at most one
  a minute, as in Notify's ``provider_details``.
* ``sms_provider_weight_changes``: every change of those weights with its reason (errors, slow
  receipts, recovery, manual), as Notify's ``provider_details_history``.
* ``sms_send_claims`` (migration 0018): its claims (``notify_common.send_claims``), one row per
  notification, claimed before any provider call. Each sender has a claims table of its own, of
  one shape (``notify_common.db.shapes.claims_table``); the receipts service reads every channel's
  claims through the senders' read contract ``claimed_sends`` (``notify_common.db.contracts``), and
  the view ``send_claims``, their union with every column, is for people and tests.

The admin-api's platform-admin pages read the weights through the read contracts
``sms_provider_shares`` and ``sms_provider_share_changes``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Identity, Integer, MetaData, String, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB

from notify_common.db.shapes import TS, claims_table

metadata = MetaData()

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


sms_send_claims = claims_table("sms_send_claims", metadata)
