"""Personalisation is text, not Markdown: a value cannot plant a link, a heading, a list, inset text
or a rule in an email, in its HTML or its plain-text part. What the template's own Markdown does,
links round a value included, is unchanged; a bare URL in a value is still linked, as written."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest

from notify_common.templates import render_email

LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')


def rendered(value: object, body: str = "Hello ((name))\n\nBye") -> tuple[str, str]:
    email = render_email("Subject", body, {"name": value})
    return email.html, email.body


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("[click](https://evil.example)", "[click](https://evil.example)"),
        ("![x](https://evil.example/a.png)", "![x](https://evil.example/a.png)"),
        ("**bold** and _it_", "**bold** and _it_"),
        ("<b>raw</b> [x]", "<b>raw</b> [x]"),
    ],
)
def test_markdown_in_a_value_is_shown_as_written(value: str, shown: str) -> None:
    html, text = rendered(value)
    # A URL in a value may be linked, but only ever showing itself: no link hides where it goes.
    for href, label in LINK.findall(html):
        assert unquote(unescape(label)) == unquote(href)
    assert "<b>" not in html
    assert "<img" not in html
    assert "<strong" not in html
    assert shown in text
    assert re.sub(r"<[^>]+>", "", html).count(shown.replace("<", "&lt;").replace(">", "&gt;")) == 1


@pytest.mark.parametrize(
    "value",
    ["\n# Fake heading", "\n* fake bullet", "\n- fake bullet", "\n1. fake item", "\n^ fake inset", "\n---"],
)
def test_a_value_cannot_add_block_formatting(value: str) -> None:
    html, text = rendered(value, "((name))")
    for tag in ("<h2", "<ul", "<ol", "<li", "<blockquote", "<hr"):
        assert tag not in html
    assert "=====" not in text
    assert value.strip()[1:] in text.replace("–", "-")


def test_list_values_are_still_lists_of_literal_items() -> None:
    html, text = rendered(["[a](https://evil.example)", "b"], "Items:\n\n((name))")
    assert html.count("<li>") == 2
    for href, label in LINK.findall(html):
        assert label == href
    assert "• [a](https://evil.example)" in text


def test_the_templates_own_markdown_and_links_round_values_still_work() -> None:
    url = "https://pay.example.gov.uk/pay_now?ref=AB-12"
    html, text = rendered(url, "# Pay\n\n[Pay now](((name)))")
    assert "<h2>Pay</h2>" in html
    assert f'<a href="{url}">Pay now</a>' in html
    assert f"Pay now: {url}" in text


def test_a_bare_url_in_a_value_is_linked_as_written() -> None:
    html, _ = rendered("https://www.gov.uk/check")
    assert '<a href="https://www.gov.uk/check">https://www.gov.uk/check</a>' in html
