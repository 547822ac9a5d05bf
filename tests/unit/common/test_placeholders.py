"""Placeholders are found, matched and filled in as GOV.UK Notify does."""

from __future__ import annotations

import pytest

from notify_common.templates import (
    as_markdown_list,
    fill_placeholders,
    join_with_and,
    missing_personalisation,
    normalise_placeholder,
    placeholders,
)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Hello", []),
        ("Hello ((name))", ["name"]),
        ("((a)) ((b)) ((a))", ["a", "b"]),
        ("((First Name)) ((first_name)) ((FIRST-NAME)) ((firstname))", ["First Name"]),
        ("((date)) then ((Reference number)) then ((reference_number))", ["date", "Reference number"]),
        ("((show??Some text)) and ((show))", ["show"]),
        ("(( padded ))", ["padded"]),
        ("((one))((two))", ["one", "two"]),
        ("(name) and ((( nested )))", ["nested"]),
        ("((not closed) and (also not))", []),
        ("multi\nline ((x))\n((y))", ["x", "y"]),
    ],
)
def test_placeholders_are_listed_once_each_in_order_of_first_appearance(text: str, names: list[str]) -> None:
    assert placeholders(text) == names


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("name", "name"),
        ("Name", "name"),
        ("First Name", "firstname"),
        ("first_name", "firstname"),
        ("first-name", "firstname"),
        ("FIRST_-_ NAME", "firstname"),
        (" address line 1 ", "addressline1"),
    ],
)
def test_names_are_compared_ignoring_case_spaces_underscores_and_hyphens(name: str, normalised: str) -> None:
    assert normalise_placeholder(name) == normalised


@pytest.mark.parametrize(
    ("texts", "personalisation", "missing"),
    [
        (["Hello ((name))"], {"name": "Ann"}, []),
        (["Hello ((name))"], {}, ["name"]),
        (["Hello ((name))"], {"name": None}, ["name"]),
        (["Hello ((name))"], {"name": ""}, []),
        (["Hello ((name))"], {"name": 0}, []),
        (["Hello ((First Name))"], {"first_name": "Ann"}, []),
        (["Hello ((first_name))"], {"FIRST NAME": "Ann"}, []),
        (["((a)) ((b)) ((c))"], {"b": "x", "unused": "y"}, ["a", "c"]),
        (["Subject ((Ref))", "Body ((ref)) ((date))"], {}, ["Ref", "date"]),
        (["((show??text))"], {}, ["show"]),
        (["((show??text))"], {"show": "no"}, []),
        (["((items))"], {"items": []}, []),
    ],
)
def test_missing_personalisation_lists_names_as_written_in_the_template(
    texts: list[str], personalisation: dict[str, object], missing: list[str]
) -> None:
    assert missing_personalisation(texts, personalisation) == missing


def _fill(text: str, personalisation: dict[str, object]) -> str:
    return fill_placeholders(text, personalisation, format_list=join_with_and)


@pytest.mark.parametrize(
    ("text", "personalisation", "filled"),
    [
        ("Hello ((name))", {"name": "Ann"}, "Hello Ann"),
        ("Hello ((Name))", {"NAME": "Ann"}, "Hello Ann"),
        ("Hello ((name))", {}, "Hello ((name))"),
        ("Hello ((name))", {"name": None}, "Hello ((name))"),
        ("You owe ((amount))", {"amount": 12.5}, "You owe 12.5"),
        ("Count: ((n))", {"n": 0}, "Count: 0"),
        ("Hi ((a)) and ((a))", {"a": "x"}, "Hi x and x"),
        ("Literal: ((code))", {"code": "((other))"}, "Literal: ((other))"),
        ("Money: ((amount))", {"amount": r"£1\2"}, r"Money: £1\2"),
    ],
)
def test_placeholders_are_replaced_by_their_values(
    text: str, personalisation: dict[str, object], filled: str
) -> None:
    assert _fill(text, personalisation) == filled


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "Yes",
        "YES",
        "y",
        "Y",
        "true",
        "True",
        "t",
        "T",
        "1",
        "include",
        "Include",
        "show",
        " SHOW ",
        True,
        1,
    ],
)
def test_optional_content_is_shown_for_yes_like_values(value: object) -> None:
    assert _fill("Start.((vip?? You are a VIP.)) End.", {"vip": value}) == "Start. You are a VIP. End."


@pytest.mark.parametrize("value", ["no", "No", "n", "false", "False", "0", "", "maybe", "hide", False, 0, 2])
def test_optional_content_is_hidden_for_any_other_value(value: object) -> None:
    assert _fill("Start.((vip?? You are a VIP.)) End.", {"vip": value}) == "Start. End."


def test_optional_content_without_a_value_is_left_as_written() -> None:
    assert _fill("Start.((vip??VIP)) End.", {}) == "Start.((vip??VIP)) End."


@pytest.mark.parametrize(
    ("items", "joined"),
    [
        ([], ""),
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b and c"),
        (["one", "two", "three", "four"], "one, two, three and four"),
    ],
)
def test_lists_in_text_messages_read_as_a_b_and_c(items: list[str], joined: str) -> None:
    assert join_with_and(items) == joined


@pytest.mark.parametrize(
    ("items", "markdown"),
    [([], ""), (["a"], "\n\n* a"), (["a", "b"], "\n\n* a\n* b")],
)
def test_lists_in_emails_and_letters_become_markdown_bullets(items: list[str], markdown: str) -> None:
    assert as_markdown_list(items) == markdown


@pytest.mark.parametrize(
    ("value", "filled"),
    [
        (["a", "b", "c"], "Items: a, b and c"),
        (("a", "b"), "Items: a and b"),
        (["a", None, "", "b"], "Items: a and b"),
        ([1, 2], "Items: 1 and 2"),
        ([None, ""], "Items: "),
    ],
)
def test_list_values_drop_none_and_empty_items(value: object, filled: str) -> None:
    assert _fill("Items: ((items))", {"items": value}) == filled


def test_each_value_and_list_item_can_be_transformed_before_insertion() -> None:
    filled = fill_placeholders(
        "((one)) / ((many))",
        {"one": "<b>", "many": ["<i>", "x"]},
        format_list=join_with_and,
        format_value=lambda value: value.replace("<", "&lt;"),
    )

    assert filled == "&lt;b> / &lt;i> and x"
