"""Languages of a template: the language tags, choosing a template's variant for a send, and the
Welsh words of bilingual letters.

A template is written in its default language (``en`` unless set) and may hold variants in other
languages, each with its own subject and content, keyed by BCP 47 language tag (``cy``, ``fr``,
``pt-BR``). A send names the language it wants, or gets the default.

A tag is checked for being well-formed (RFC 5646's grammar, without the grandfathered tags) and
written in its canonical case: language and everything after the region lower case, script in
title case, region upper case. Whether a well-formed tag names a real language is the template
author's business: a send can only pick one of the template's own languages.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

DEFAULT_LANGUAGE = "en"
LANGUAGE_TAG_MAX_LENGTH = 35

# RFC 5646 section 2.1, "langtag" and "privateuse" (case-insensitive).
_LANGUAGE_TAG = re.compile(
    r"""
    (?:
      (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})
      (?:-(?P<script>[a-z]{4}))?
      (?:-(?P<region>[a-z]{2}|[0-9]{3}))?
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*
      (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*
      (?:-x(?:-[a-z0-9]{1,8})+)?
    |
      x(?:-[a-z0-9]{1,8})+
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Notify's Welsh month names (notifications-utils), for the date of a Welsh letter.
WELSH_MONTHS = (
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
)
ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# How a letter template's languages are printed, as Notify names them.
LETTER_LANGUAGES = ("english", "welsh_then_english")


class InvalidLanguageTag(ValueError):
    """Not a well-formed language tag; ``message`` says so in the API's words."""

    def __init__(self, tag: object) -> None:
        self.message = f"{tag} is not a valid language tag"
        super().__init__(self.message)


class UnknownLanguage(ValueError):
    """A language the template has no variant in; ``message`` is the API's text."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.message = f"language {language} is not available for this template"
        super().__init__(self.message)


def checked_language_tag(tag: object) -> str:
    """``tag`` in its canonical case, or ``InvalidLanguageTag``."""
    if not isinstance(tag, str) or len(tag) > LANGUAGE_TAG_MAX_LENGTH:
        raise InvalidLanguageTag(tag)
    match = _LANGUAGE_TAG.fullmatch(tag)
    if match is None:
        raise InvalidLanguageTag(tag)
    if match.group("language") is None:
        return tag.lower()  # private use only
    canonical: list[str] = []
    for index, part in enumerate(tag.split("-")):
        if index and len(part) == 1:
            canonical.extend(p.lower() for p in tag.split("-")[index:])  # extensions, private use
            break
        if index and len(part) == 4 and part.isalpha():
            canonical.append(part.title())  # script
        elif index and len(part) == 2:
            canonical.append(part.upper())  # region
        else:
            canonical.append(part.lower())
    return "-".join(canonical)


@dataclass(frozen=True)
class LanguageVariant:
    """A template's texts in one language."""

    language: str
    content: str
    subject: str | None = None


@dataclass(frozen=True)
class TemplateLanguages:
    """A template's default language and its other variants (texts keyed by canonical tag)."""

    default: str = DEFAULT_LANGUAGE
    variants: Mapping[str, LanguageVariant] = field(default_factory=dict)

    @property
    def available(self) -> tuple[str, ...]:
        """Every language a send may ask for, the default first."""
        return (self.default, *sorted(t for t in self.variants if t != self.default))

    def choose(self, requested: str | None, content: str, subject: str | None) -> LanguageVariant:
        """The variant a send in ``requested`` gets (the default when ``None``): the template's own
        ``content`` and ``subject`` for the default language, else the variant's. A requested tag is
        matched whatever its case; ``InvalidLanguageTag`` or ``UnknownLanguage`` otherwise."""
        if requested is None:
            return LanguageVariant(self.default, content, subject)
        language = checked_language_tag(requested)
        if language == self.default:
            return LanguageVariant(self.default, content, subject)
        variant = self.variants.get(language)
        if variant is None:
            raise UnknownLanguage(language)
        return variant


def template_languages(
    default: str | None, variants: Mapping[str, Mapping[str, object]] | None
) -> TemplateLanguages:
    """A template's languages from what is stored: its default tag (``None``: English) and its
    variants as ``{tag: {"content": ..., "subject": ...}}`` (``None``: none)."""
    found: dict[str, LanguageVariant] = {}
    for tag, texts in (variants or {}).items():
        language = checked_language_tag(tag)
        subject = texts.get("subject")
        found[language] = LanguageVariant(
            language, str(texts.get("content") or ""), str(subject) if subject is not None else None
        )
    return TemplateLanguages(checked_language_tag(default or DEFAULT_LANGUAGE), found)


def welsh_date(day: date) -> str:
    """A letter's date in Welsh, as Notify prints it: "5 Rhagfyr 2026"."""
    return f"{day.day} {WELSH_MONTHS[day.month - 1]} {day.year}"


def english_date(day: date) -> str:
    """A letter's date in English, whatever the machine's locale: "5 December 2026"."""
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"


def page_label(page: int, pages: int, *, welsh: bool = False) -> str:
    """The label at the foot of a letter's page, in Notify's words: "Page 1 of 2" or, in Welsh,
    "Tudalen 1 o 2"."""
    return f"Tudalen {page} o {pages}" if welsh else f"Page {page} of {pages}"
