"""Text messages are sanitised, encoded and split into fragments as GOV.UK Notify does."""

from __future__ import annotations

import pytest

from notify_common.templates import (
    SMS_CHAR_LIMIT,
    character_count,
    encoding_of,
    fragment_count,
    is_gsm,
    normalise_sms_whitespace,
    sanitise_sms,
)


@pytest.mark.parametrize(
    ("text", "sanitised"),
    [
        ("Plain ASCII stays: !\"#%&'()*+,-./:;<=>?@_", "Plain ASCII stays: !\"#%&'()*+,-./:;<=>?@_"),
        (
            "GSM letters stay: £$¥èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà§¿¡",
            "GSM letters stay: £$¥èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà§¿¡",
        ),
        ("Greek capitals stay: ΔΦΓΛΩΠΨΣΘΞ", "Greek capitals stay: ΔΦΓΛΩΠΨΣΘΞ"),
        ("Extension stays: ^{}\\[~]|€", "Extension stays: ^{}\\[~]|€"),
        ("“Curly double”", '"Curly double"'),
        ("‘Curly single’ and it’s", "'Curly single' and it's"),
        ("‚low‛ „low”", '\'low? "low"'),
        ("en – em — minus − nb‑hyphen", "en - em - minus - nb-hyphen"),
        ("Wait…", "Wait..."),
        ("no\u00a0break\u202fnarrow\ttab", "no break narrow tab"),
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff\u180e", "zerowidth"),
        ("line\u2028sep\u2029para", "lineseppara"),
        ("Łódź", "Lódz"),
        ("łabędź", "labedz"),
        ("ç ã õ ś ž Ő", "c a o s z O"),
        ("Emoji 😀 👍", "Emoji ? ?"),
        ("漢字 and Привет", "?? and ??????"),
        ("ﬁ ½ ™", "? ? ?"),
    ],
)
def test_characters_a_phone_cannot_show_are_downgraded_or_become_question_marks(
    text: str, sanitised: str
) -> None:
    assert sanitise_sms(text) == sanitised


@pytest.mark.parametrize("character", list("âêîôûŵŷÂÊÎÔÛŴŶáíóúẃýÁÍÓÚẂÝëïÿËÏẄŸẁỳÀÈÌÒÙẀỲ"))
def test_welsh_diacritics_are_kept_although_they_are_not_gsm(character: str) -> None:
    assert not is_gsm(character)
    assert sanitise_sms(character) == character


@pytest.mark.parametrize(
    ("text", "gsm", "encoding"),
    [
        ("", True, "GSM"),
        ("Hello world", True, "GSM"),
        ("Café £5 {ok} €", True, "GSM"),
        ("Croeso i Gymru ŵ", False, "UCS-2"),
        ("Tŷ", False, "UCS-2"),
        ("á", False, "UCS-2"),
        ("😀", False, "UCS-2"),
    ],
)
def test_any_character_outside_gsm_makes_the_message_ucs2(text: str, gsm: bool, encoding: str) -> None:
    assert is_gsm(text) is gsm
    assert encoding_of(text) == encoding


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("abc", 3),
        ("€", 2),
        ("^{}\\[~]|", 16),
        ("a€b", 4),
        ("ŵ", 1),
        ("ŵ€", 2),  # in UCS-2 the euro is one character like any other
        ("ŵ😀", 3),  # outside the Basic Multilingual Plane: two UTF-16 code units
    ],
)
def test_gsm_extension_characters_count_twice_and_ucs2_counts_utf16_units(text: str, count: int) -> None:
    assert character_count(text) == count


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", 1),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("a" * 612, 4),
        ("a" * 613, 5),
        ("a" * 765, 5),
        ("a" * 766, 6),
        ("a" * 918, 6),
        ("a" * 919, 7),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),
        ("a" * 158 + "€", 1),
    ],
)
def test_gsm_messages_take_160_characters_then_153_per_fragment(text: str, fragments: int) -> None:
    assert fragment_count(text) == fragments


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("ŵ", 1),
        ("ŵ" * 70, 1),
        ("ŵ" * 71, 2),
        ("ŵ" + "a" * 69, 1),
        ("ŵ" + "a" * 70, 2),
        ("ŵ" * 134, 2),
        ("ŵ" * 135, 3),
        ("ŵ" * 201, 3),
        ("ŵ" * 202, 4),
        ("ŵ" + "€" * 69, 1),
    ],
)
def test_ucs2_messages_take_70_characters_then_67_per_fragment(text: str, fragments: int) -> None:
    assert fragment_count(text) == fragments


def test_the_length_limit_is_six_gsm_fragments() -> None:
    assert SMS_CHAR_LIMIT == 918 == 153 * 6


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("  Hello  ", "Hello"),
        ("Hello    world", "Hello world"),
        ("Hello , world .", "Hello, world."),
        ("Really ?  Yes !", "Really? Yes!"),
        ("one\n\n\n\ntwo", "one\n\ntwo"),
        ("one\n\ntwo", "one\n\ntwo"),
        ("one\r\ntwo", "one\ntwo"),
        ("  indented\n   lines  ", "indented\nlines"),
        ("\n\nleading and trailing blank lines\n\n", "leading and trailing blank lines"),
    ],
)
def test_whitespace_is_normalised_line_by_line(text: str, normalised: str) -> None:
    assert normalise_sms_whitespace(text) == normalised
