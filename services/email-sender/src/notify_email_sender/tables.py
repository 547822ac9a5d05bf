"""The email-sender's table, on a ``MetaData`` of its own: ``email_send_claims`` (migration 0018), its
claims (``notify_common.send_claims``), one row per notification, claimed before any provider call.
Each sender has a claims table of its own, of one shape (``notify_common.db.shapes.claims_table``);
the receipts service reads them through the senders' read contract ``claimed_sends``.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from notify_common.db.shapes import claims_table

metadata = MetaData()

email_send_claims = claims_table("email_send_claims", metadata)
