"""Which ids a batch moves in or out of ``notifications_in_flight``: an email or text message
joins when its row's status becomes sending or pending, and leaves when it settles; letters, and
rows whose request (and so channel) is not known yet, are never in it."""

from __future__ import annotations

from typing import Any

from notify_projector.projection import in_flight_moves


def row(id_: str, status: str, notification_type: str | None = "sms") -> dict[str, Any]:
    return {"id": id_, "status": status, "notification_type": notification_type}


def test_a_sent_message_joins_and_a_settled_one_leaves() -> None:
    before = [row("b", "sending"), row("c", "pending", "email"), row("d", "created")]
    after = [
        row("a", "sending"),  # new, sent in its request's batch
        row("b", "delivered"),
        row("c", "temporary-failure", "email"),
        row("d", "sending"),
    ]

    assert in_flight_moves(before, after) == (["b", "c"], ["a", "d"])


def test_a_message_still_in_flight_is_neither_moved_nor_written_again() -> None:
    before = [row("a", "sending"), row("b", "sending")]
    after = [row("a", "pending"), row("b", "sending")]

    assert in_flight_moves(before, after) == ([], [])


def test_letters_and_rows_without_their_request_are_not_in_flight_until_the_request_comes() -> None:
    assert in_flight_moves([], [row("l", "sending", "letter"), row("x", "sending", None)]) == ([], [])
    # The request comes: the row is now known to be a text message still sending.
    assert in_flight_moves([row("x", "sending", None)], [row("x", "sending")]) == ([], ["x"])


def test_a_message_whose_first_event_settles_it_never_joins() -> None:
    assert in_flight_moves([], [row("a", "delivered"), row("b", "permanent-failure", "email")]) == ([], [])
