"""How the history page names a kind of change: its own words, else what the route changed."""

from __future__ import annotations

import pytest

from notify_admin_console.pages_history import kind_words


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("api_key.created", "API key created"),
        ("team_member.permissions_changed", "Team member’s permissions changed"),
        ("PUT /services/{service_id}/guest-list", "Changed: guest list"),
        ("PATCH /services/{service_id}/branding", "Changed: branding"),
        ("POST /console/services/{service_id}/go-live-request/approve", "Changed: go live request approve"),
        ("notify-admin create-api-key", "Changed: create api key"),
    ],
)
def test_each_kind_of_change_reads_as_words(kind: str, words: str) -> None:
    assert kind_words(kind) == words
