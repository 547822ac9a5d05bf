"""The text-message fast paths answer exactly as the full work they skip: normalising whitespace
returns text it could not change without splitting it into lines, the counts are made in one look
at the text, a template's placeholders are parsed once, and short personalisation names are
normalised once."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify_common.templates import render_sms
from notify_common.templates.placeholders import (
    _PLANNED_TEXT_LENGTH,
    PLACEHOLDER_PATTERN,
    InsensitiveValues,
    _named_keys,
    _parsed,
    _plan,
    _remembered_key,
    fill_placeholders,
    is_yes,
    join_with_and,
    list_items,
    missing_personalisation,
)
from notify_common.templates.sms import (
    GSM_CHARACTERS,
    GSM_EXTENDED_CHARACTERS,
    could_normalise,
    is_clean_sms,
    normalise_sms_whitespace,
    sanitise_sms,
    sms_counts,
)

# Every character the rules treat apart: spaces, newlines and the other line breaks and
# whitespace, the punctuation a space is dropped before, GSM extension characters, a Welsh
# diacritic (UCS-2) and a character outside the Basic Multilingual Plane.
TRICKY = " \n\r\t\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u2029\u3000,.:;!?ab^€ŵ😀"
# Free text around the tests' own ((name)) placeholder: with no "((" of its own, so that it holds no
# placeholder (hypothesis once drew "((NAME))", which is filled like ((name))).
texts = (st.text(alphabet=st.sampled_from(TRICKY), max_size=40) | st.text(max_size=40)).filter(
    lambda text: "((" not in text
)


def normalised_in_full(text: str) -> str:
    """What normalising always did, line by line, with no shortcut."""
    text = re.sub(r"[ \t]+([,.:;!?])", r"\1", text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def counted_in_full(text: str) -> tuple[bool, int, int]:
    gsm = GSM_CHARACTERS.issuperset(text)
    if gsm:
        count = len(text) + sum(text.count(c) for c in GSM_EXTENDED_CHARACTERS)
        return True, count, 1 if count <= 160 else math.ceil(count / 153)
    count = len(text.encode("utf-16-le")) // 2
    return False, count, 1 if count <= 70 else math.ceil(count / 67)


@settings(max_examples=600, deadline=None)
@given(texts)
def test_normalising_answers_as_the_full_rules_do(text: str) -> None:
    assert normalise_sms_whitespace(text) == normalised_in_full(text)
    if not could_normalise(text):
        assert normalised_in_full(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Hello Ada, your appointment is on Monday at 10:30. Reply STOP to opt out.",
        "Council: Your code is 123456",
        "First line\nSecond line\n\nAfter a blank line",
        "",
    ],
)
def test_ordinary_messages_are_known_not_to_need_normalising(text: str) -> None:
    assert not could_normalise(text)
    assert normalise_sms_whitespace(text) == text


@pytest.mark.parametrize(
    "text",
    [
        " lead",
        "trail ",
        "two  spaces",
        "a ,b",
        "tab\there",
        "a \nb",
        "a\n b",
        "a\n\n\nb",
        "\nx",
        "x\n",
        "a\r\nb",
    ],
)
def test_text_the_rules_would_change_is_normalised(text: str) -> None:
    assert could_normalise(text)
    assert normalise_sms_whitespace(text) == normalised_in_full(text)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_the_counts_are_those_of_the_full_rules(text: str) -> None:
    assert sms_counts(text) == counted_in_full(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(TRICKY + "()"), max_size=30),
    st.sampled_from([None, "Council", "A  council ", "Cyngor ŵ"]),
)
def test_a_rendered_text_counts_as_its_body_does(content: str, prefix: str | None) -> None:
    try:
        rendered = render_sms(f"Hi ((name)) {content}", {"name": "Ada"}, prefix=prefix, check_limits=False)
    except ValueError:
        return
    gsm, count, fragments = counted_in_full(rendered.body)
    assert (rendered.encoding, rendered.character_count, rendered.fragment_count) == (
        "GSM" if gsm else "UCS-2",
        count,
        fragments,
    )
    without = render_sms(f"Hi ((name)) {content}", {"name": "Ada"}, check_limits=False)
    assert rendered.character_count_without_prefix == counted_in_full(without.body)[1]


@settings(max_examples=500, deadline=None)
@given(
    texts,
    st.sampled_from(["Council", "A  council ", "Cyngor ŵ", "Council\n", " Council", "Café", "Council,"]),
)
def test_a_prefixed_text_is_sanitised_and_normalised_as_both_its_texts_in_full(
    content: str, prefix: str
) -> None:
    try:
        rendered = render_sms(f"Hi ((name)){content}", {"name": "Ada"}, prefix=prefix, check_limits=False)
    except ValueError:
        return
    filled = f"Hi Ada{content}"
    assert rendered.body == normalised_in_full(sanitise_sms(f"{prefix}: {filled}"))
    assert (
        rendered.character_count_without_prefix
        == counted_in_full(normalised_in_full(sanitise_sms(filled)))[1]
    )


@settings(max_examples=500, deadline=None)
@given(texts)
def test_a_text_known_clean_is_left_as_it_is_by_sanitising_and_normalising(text: str) -> None:
    if is_clean_sms(text):
        assert normalised_in_full(sanitise_sms(text)) == text


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Council: Hi Ada", True),
        ("Council: Hi Ada ", False),
        ("Council:  Hi", False),
        ("Council: Hi\u200b", False),
    ],
)
def test_an_ordinary_message_is_known_clean(text: str, clean: bool) -> None:
    assert is_clean_sms(text) is clean


def filled_in_full(text: str, personalisation: dict[str, object]) -> str:
    """What filling always did: a regular expression's substitution, each placeholder parsed."""
    values = InsensitiveValues(personalisation)

    def replace(match: re.Match[str]) -> str:
        key, optional_text = _parsed(match.group(1))
        value = values.get_normalised(key)
        if value is None:
            return match.group(0)
        if optional_text is not None:
            return optional_text if is_yes(value) else ""
        items = list_items(value)
        if items is not None:
            return join_with_and([f"<{item}>" for item in items])
        return f"<{value}>"

    return PLACEHOLDER_PATTERN.sub(replace, text)


PIECES = [
    "((a))",
    "((A ))",
    "((b??shown))",
    "((c))",
    "(((a)))",
    "((a)",
    "(( ))",
    "()",
    "(",
    ")",
    "x",
    " ",
    "\\1",
]
VALUES = st.dictionaries(
    st.sampled_from(["a", "b", "B", "c", "d"]),
    st.one_of(
        st.none(), st.sampled_from(["yes", "no", "", "\\g<0>", 3]), st.lists(st.sampled_from(["x", None, ""]))
    ),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12), VALUES, st.booleans())
def test_a_template_is_filled_as_the_substitution_fills_it(
    pieces: list[str], values: dict[str, object], long: bool
) -> None:
    text = "".join(pieces) + ("." * _PLANNED_TEXT_LENGTH if long else "")
    filled = fill_placeholders(text, values, format_list=join_with_and, format_value=lambda v: f"<{v}>")
    assert filled == filled_in_full(text, values)


def test_a_templates_placeholders_are_parsed_once_for_every_send() -> None:
    _parsed.cache_clear()
    _plan.cache_clear()
    for name in ("Ada", "Bea", "Cy"):
        filled = fill_placeholders(
            "((First Name)) ((show??Shown)) ((first_name))",
            {"first_name": name, "show": "yes"},
            format_list=join_with_and,
        )
        assert filled == f"{name} Shown {name}"
    assert _parsed.cache_info().misses == 3
    assert _plan.cache_info().misses == 1


def test_names_are_normalised_once_and_long_ones_never_remembered() -> None:
    _named_keys.cache_clear()
    _remembered_key.cache_clear()
    long_name = "Long_" + "x" * 100
    text = f"((First Name)) ((code)) (({long_name}))"
    for _ in range(3):
        assert missing_personalisation([text], {"first_name": "Ada", "CODE": None}) == ["code", long_name]
        assert missing_personalisation([text], {"FIRST-NAME": 1, "co de": 2, long_name.lower(): 3}) == []
    assert _named_keys.cache_info().misses == 1
    remembered = _remembered_key.cache_info()
    assert (remembered.misses, remembered.currsize) == (4, 4)  # first_name, CODE, FIRST-NAME, co de
