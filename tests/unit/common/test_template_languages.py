"""A template's languages: tags are checked and written one way, a send gets the variant it asks
for or the default, and Welsh letters carry Notify's Welsh date and page labels."""

from __future__ import annotations

from datetime import date

import pytest

from notify_common.templates.languages import (
    InvalidLanguageTag,
    LanguageVariant,
    TemplateLanguages,
    UnknownLanguage,
    checked_language_tag,
    english_date,
    page_label,
    template_languages,
    welsh_date,
)


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("en", "en"),
        ("CY", "cy"),
        ("pt-br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("sr-Latn", "sr-Latn"),
        ("es-419", "es-419"),
        ("de-CH-1996", "de-CH-1996"),
        ("en-GB-x-legal", "en-GB-x-legal"),
        ("x-klingon", "x-klingon"),
    ],
)
def test_well_formed_tags_are_written_in_their_canonical_case(tag: str, canonical: str) -> None:
    assert checked_language_tag(tag) == canonical


@pytest.mark.parametrize(
    "tag", ["", "e", "english!", "en_GB", "en-", "-en", "123", "en--gb", "a" * 36, 7, None]
)
def test_malformed_tags_are_refused(tag: object) -> None:
    with pytest.raises(InvalidLanguageTag) as refused:
        checked_language_tag(tag)
    assert refused.value.message == f"{tag} is not a valid language tag"


WELSH = LanguageVariant("cy", "Helo ((name))", "Eich apwyntiad")
LANGUAGES = TemplateLanguages("en", {"cy": WELSH})


def test_a_send_without_a_language_gets_the_templates_own_texts_in_its_default_language() -> None:
    chosen = LANGUAGES.choose(None, "Hello ((name))", "Your appointment")
    assert chosen == LanguageVariant("en", "Hello ((name))", "Your appointment")


@pytest.mark.parametrize("asked", ["cy", "CY"])
def test_a_send_in_a_variants_language_gets_the_variants_texts(asked: str) -> None:
    assert LANGUAGES.choose(asked, "Hello ((name))", "Your appointment") == WELSH


def test_asking_for_the_default_language_by_name_gets_the_templates_own_texts() -> None:
    assert LANGUAGES.choose("EN", "Hello", None) == LanguageVariant("en", "Hello", None)


def test_a_language_the_template_does_not_have_is_refused_in_the_apis_words() -> None:
    with pytest.raises(UnknownLanguage) as refused:
        LANGUAGES.choose("fr", "Hello", None)
    assert refused.value.message == "language fr is not available for this template"


def test_a_malformed_language_is_refused_before_looking_for_it() -> None:
    with pytest.raises(InvalidLanguageTag):
        LANGUAGES.choose("not a tag", "Hello", None)


def test_stored_languages_are_read_with_their_tags_made_canonical_and_english_by_default() -> None:
    languages = template_languages(
        None, {"PT-br": {"content": "Olá", "subject": None}, "cy": {"content": "Helo"}}
    )
    assert languages.default == "en"
    assert languages.available == ("en", "cy", "pt-BR")
    assert languages.variants["pt-BR"] == LanguageVariant("pt-BR", "Olá", None)


def test_a_template_written_in_welsh_offers_welsh_first() -> None:
    languages = template_languages("cy", {"en": {"content": "Hello"}})
    assert languages.available == ("cy", "en")
    assert languages.choose(None, "Helo", None) == LanguageVariant("cy", "Helo", None)


@pytest.mark.parametrize(
    ("day", "welsh", "english"),
    [
        (date(2026, 1, 1), "1 Ionawr 2026", "1 January 2026"),
        (date(2026, 2, 14), "14 Chwefror 2026", "14 February 2026"),
        (date(2026, 3, 9), "9 Mawrth 2026", "9 March 2026"),
        (date(2026, 4, 30), "30 Ebrill 2026", "30 April 2026"),
        (date(2026, 5, 5), "5 Mai 2026", "5 May 2026"),
        (date(2026, 6, 21), "21 Mehefin 2026", "21 June 2026"),
        (date(2026, 7, 4), "4 Gorffennaf 2026", "4 July 2026"),
        (date(2026, 8, 31), "31 Awst 2026", "31 August 2026"),
        (date(2026, 9, 1), "1 Medi 2026", "1 September 2026"),
        (date(2026, 10, 10), "10 Hydref 2026", "10 October 2026"),
        (date(2026, 11, 11), "11 Tachwedd 2026", "11 November 2026"),
        (date(2026, 12, 5), "5 Rhagfyr 2026", "5 December 2026"),
    ],
)
def test_a_letters_date_is_written_in_welsh_and_english_as_notify_writes_them(
    day: date, welsh: str, english: str
) -> None:
    assert welsh_date(day) == welsh
    assert english_date(day) == english


def test_page_labels_are_notifys_words_in_each_language() -> None:
    assert page_label(1, 3) == "Page 1 of 3"
    assert page_label(2, 3, welsh=True) == "Tudalen 2 o 3"
