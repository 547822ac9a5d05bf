"""A template's languages as the admin API stores them: its default language, its variants in other
languages, and a letter's Welsh part (docs/languages.md).

``checked_languages`` turns what a caller gave (merged with what is stored, on an edit) into the
columns to write, or refuses it with an ``AdminError``. Tags are stored in their canonical case;
each variant is checked as the template's own texts are (content, a subject for emails and letters,
the text message length).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from notify_common.templates.languages import (
    DEFAULT_LANGUAGE,
    LETTER_LANGUAGES,
    InvalidLanguageTag,
    checked_language_tag,
)

LANGUAGE_FIELDS = ("language", "variants", "letter_languages", "letter_welsh_subject", "letter_welsh_content")
CheckTexts = Callable[[str, str, str | None], None]


class LanguageError(ValueError):
    """Languages the admin API refuses; ``message`` says why."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _tag(value: object) -> str:
    try:
        return checked_language_tag(value)
    except InvalidLanguageTag as exc:
        raise LanguageError(f"language: {exc.message}") from None


def checked_languages(
    template_type: str, given: Mapping[str, Any], check_texts: CheckTexts
) -> dict[str, Any]:
    """The language columns for a template of ``template_type`` from ``given`` (any of
    ``LANGUAGE_FIELDS``, missing ones taking their defaults; ``variants`` is stored as
    ``language_variants``). ``check_texts(template_type, content,
    subject)`` checks each variant's texts as the template's own; it raises to refuse them."""
    default = _tag(given.get("language") or DEFAULT_LANGUAGE)
    variants: dict[str, dict[str, str | None]] = {}
    for tag, texts in (given.get("variants") or {}).items():
        language = _tag(tag)
        if language == default:
            raise LanguageError(f"language {language} is the template's own language, not a variant")
        if language in variants:
            raise LanguageError(f"language {language} is given twice")
        content = str(texts.get("content") or "")
        subject = texts.get("subject") if template_type != "sms" else None
        check_texts(template_type, content, subject)
        variants[language] = {"content": content, "subject": subject}
    columns: dict[str, Any] = {
        "language": default,
        "language_variants": variants,
        "letter_languages": None,
        "letter_welsh_subject": None,
        "letter_welsh_content": None,
    }
    if template_type != "letter":
        if given.get("letter_languages") not in (None, "english"):
            raise LanguageError("letter_languages is only for letter templates")
        return columns
    letter_languages = given.get("letter_languages") or "english"
    if letter_languages not in LETTER_LANGUAGES:
        raise LanguageError(f"letter_languages must be one of {', '.join(LETTER_LANGUAGES)}")
    columns["letter_languages"] = letter_languages
    if letter_languages == "welsh_then_english":
        welsh_subject, welsh_content = given.get("letter_welsh_subject"), given.get("letter_welsh_content")
        if not (welsh_subject or "").strip() or not (welsh_content or "").strip():
            raise LanguageError(
                "a welsh_then_english letter needs letter_welsh_subject and letter_welsh_content"
            )
        columns["letter_welsh_subject"], columns["letter_welsh_content"] = welsh_subject, welsh_content
    return columns
