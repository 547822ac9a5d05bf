"""An inbound text becomes an event the projector can always store."""

from __future__ import annotations

import uuid

from notify_receipts.domain import inbound_event, parse_firetext_inbound


def test_a_nul_in_a_received_text_is_stored_as_the_replacement_character() -> None:
    text = parse_firetext_inbound(
        {
            "source": "447700900123",
            "destination": "447700900000",
            "message": "Yes\x00 please",
            "reference": "r1",
        }
    )
    event = inbound_event(text, str(uuid.uuid4()))
    assert event.content == "Yes\ufffd please"
    assert event.user_number == text.user_number
