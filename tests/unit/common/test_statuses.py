"""Status precedence: late, duplicated or reordered events never move a notification backwards."""

from __future__ import annotations

import pytest

from notify_common import statuses as s


@pytest.mark.parametrize(
    ("current", "new", "applies"),
    [
        (None, s.CREATED, True),
        (s.CREATED, s.SENDING, True),
        (s.SENDING, s.PENDING, True),
        (s.PENDING, s.DELIVERED, True),
        (s.SENDING, s.DELIVERED, True),
        (s.SENT, s.DELIVERED, True),  # international with receipts
        (s.DELIVERED, s.SENDING, False),  # a late "sent to provider" after the receipt
        (s.DELIVERED, s.CREATED, False),  # the request event replayed after the receipt
        (s.DELIVERED, s.DELIVERED, False),  # a duplicate receipt
        (s.DELIVERED, s.PERMANENT_FAILURE, False),  # the first final status wins
        (s.TEMPORARY_FAILURE, s.DELIVERED, False),
        (s.PENDING, s.SENDING, False),
        (s.SENDING, s.CREATED, False),
    ],
)
def test_a_status_applies_only_when_it_moves_forward(current: str | None, new: str, applies: bool) -> None:
    assert s.advances(current, new) is applies


def test_every_failure_kind_maps_to_a_final_status() -> None:
    for status in s.FAILURE_KIND_TO_STATUS.values():
        assert s.STATUS_RANK[status] == s.FINAL_RANK


def test_the_sql_rank_function_names_every_status() -> None:
    sql = s.rank_sql_function()
    for status, rank in s.STATUS_RANK.items():
        assert f"WHEN '{status}' THEN {rank}" in sql
