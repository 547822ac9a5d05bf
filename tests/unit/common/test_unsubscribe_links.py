"""The hosted unsubscribe links: tokens nobody can forge or move to another email, the line Notify
appends to the body, and which URL the List-Unsubscribe header names."""

from __future__ import annotations

import pytest

from notify_common.unsubscribe import UnsubscribeLinks, body_with_link, header_url

KEY = "k" * 64
EMAIL = "0c5d7f0e-6a8f-4d55-8f60-3f2b9f7a1c11"
OTHER = "7d3b1e52-0f0a-4c1e-9a43-5b8b9e0c2d77"


def test_a_token_is_valid_for_its_own_notification() -> None:
    links = UnsubscribeLinks(KEY)
    assert links.is_valid(EMAIL, links.token(EMAIL))


def test_a_token_for_one_notification_fails_for_another() -> None:
    links = UnsubscribeLinks(KEY)
    assert not links.is_valid(OTHER, links.token(EMAIL))


def test_a_token_made_with_another_key_fails() -> None:
    assert not UnsubscribeLinks(KEY).is_valid(EMAIL, UnsubscribeLinks("x" * 64).token(EMAIL))


@pytest.mark.parametrize(
    "token",
    ["", "abc", "A" * 43, "é" * 43, "../../etc/passwd"],
    ids=["empty", "short", "right-length", "non-ascii", "path"],
)
def test_made_up_tokens_fail(token: str) -> None:
    assert not UnsubscribeLinks(KEY).is_valid(EMAIL, token)


def test_a_notification_id_that_is_not_a_uuid_fails_without_an_error() -> None:
    assert not UnsubscribeLinks(KEY).is_valid("not-a-uuid", "x")


def test_the_id_is_read_in_its_one_spelling() -> None:
    links = UnsubscribeLinks(KEY)
    assert links.is_valid(EMAIL.upper(), links.token(EMAIL))


def test_the_token_is_url_safe_and_holds_no_part_of_the_id() -> None:
    token = UnsubscribeLinks(KEY).token(EMAIL)
    assert len(token) == 43
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert EMAIL.split("-")[0] not in token


def test_the_link_is_the_unsubscribe_path_on_the_base_url() -> None:
    links = UnsubscribeLinks(KEY)
    assert links.url("https://api.example.gov.uk/", EMAIL) == (
        f"https://api.example.gov.uk/unsubscribe/{EMAIL}/{links.token(EMAIL)}"
    )


def test_a_platform_without_a_secret_key_refuses_to_make_links() -> None:
    with pytest.raises(ValueError, match="NOTIFY_SECRET_KEY"):
        UnsubscribeLinks("")


def test_the_body_gets_a_rule_then_the_link() -> None:
    body = body_with_link("Dear Ada,\n\nYour passport is ready.\n", "https://x.test/unsubscribe/1/t")
    assert body == (
        "Dear Ada,\n\nYour passport is ready.\n\n---\n\nUnsubscribe from these emails: https://x.test/unsubscribe/1/t"
    )


@pytest.mark.parametrize(
    ("own", "hosted", "expected"),
    [
        ("https://service.test/u", "https://notify.test/unsubscribe/1/t", "https://service.test/u"),
        (None, "https://notify.test/unsubscribe/1/t", "https://notify.test/unsubscribe/1/t"),
        ("https://service.test/u", None, "https://service.test/u"),
        (None, None, None),
    ],
    ids=["both: the send's own wins", "hosted only", "own only", "neither"],
)
def test_the_header_names_the_sends_own_url_before_the_hosted_one(
    own: str | None, hosted: str | None, expected: str | None
) -> None:
    assert header_url(own, hosted) == expected
