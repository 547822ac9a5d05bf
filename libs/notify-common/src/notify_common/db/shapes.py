"""Column types and a table shape that several services' table declarations share.

No table is declared here: each table is declared by the service that owns it, in that service's
own ``tables`` module (docs/architecture.md, "Tables and migrations"). This module holds only what
those declarations have in common: the timestamp type, and the shape of a sender's claims table
(each sender declares its own from it and hands it to its ``notify_common.send_claims.ClaimStore``).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

TS = DateTime(timezone=True)


def claims_table(name: str, metadata: MetaData) -> Table:
    """A sender's claims table (``sms_send_claims`` and the like; migration 0018): one row per
    notification, claimed before any provider call, with why a claim failed, what recovering an
    in-doubt claim decided and the trace context a receipt joins."""
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
