"""Placeholders in template text: finding them, matching them to personalisation, filling them in.

A placeholder is ``((name))``; ``((name??text))`` is optional content, shown when the value is a
yes-like word. Names match ignoring case, spaces, ``_`` and ``-`` (so ``((First Name))`` takes
``first_name``). A value of ``None`` counts as missing; extra personalisation keys are ignored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PLACEHOLDER_PATTERN = re.compile(r"\({2}([^()]+)\){2}")
OPTIONAL_CONTENT_SEPARATOR = "??"

# Values that switch optional content on (compared case-insensitively).
_YES_WORDS = frozenset({"yes", "y", "true", "t", "1", "include", "show"})
_IGNORED_IN_NAMES = str.maketrans("", "", " _-")


@dataclass(frozen=True)
class Placeholder:
    """One ``((...))`` occurrence: its name and, for optional content, the text it may show."""

    name: str
    optional_text: str | None = None

    @classmethod
    def from_body(cls, body: str) -> Placeholder:
        name, separator, text = body.partition(OPTIONAL_CONTENT_SEPARATOR)
        return cls(name=name.strip(), optional_text=text if separator else None)

    @property
    def key(self) -> str:
        return normalise_placeholder(self.name)


def normalise_placeholder(name: str) -> str:
    """The form names are compared in: lower case, without spaces, ``_`` or ``-``."""
    return name.translate(_IGNORED_IN_NAMES).lower()


def placeholders(text: str) -> list[str]:
    """Placeholder names as written, in order of first appearance, one per normalised name."""
    return list(_placeholders(text))


@functools.lru_cache(maxsize=4096)
def _placeholders(text: str) -> tuple[str, ...]:
    # Cached: the same template text is checked for every send and every row of a job.
    seen: set[str] = set()
    names: list[str] = []
    for match in PLACEHOLDER_PATTERN.finditer(text):
        placeholder = Placeholder.from_body(match.group(1))
        if placeholder.key not in seen:
            seen.add(placeholder.key)
            names.append(placeholder.name)
    return tuple(names)


@functools.lru_cache(maxsize=4096)
def _parsed(body: str) -> tuple[str, str | None]:
    # Cached: a template's placeholders are the same for every send and every row of a job.
    placeholder = Placeholder.from_body(body)
    return placeholder.key, placeholder.optional_text


def missing_personalisation(texts: Sequence[str], personalisation: Mapping[str, object]) -> list[str]:
    """Names (as written in the template) that have no value, for "Missing personalisation: a, b"."""
    values = InsensitiveValues(personalisation)
    seen: set[str] = set()
    missing: list[str] = []
    for text in texts:
        for name, key in _named_keys(text):
            if key not in seen:
                seen.add(key)
                if values.get_normalised(key) is None:
                    missing.append(name)
    return missing


@functools.lru_cache(maxsize=4096)
def _named_keys(text: str) -> tuple[tuple[str, str], ...]:
    # Cached as ``_placeholders`` is: each name as written, with the form it is compared in.
    return tuple((name, normalise_placeholder(name)) for name in _placeholders(text))


# Personalisation names up to this long have their normalised form remembered: a service sends the
# same few names again and again, and a bounded number of short names bounds the memory held.
_REMEMBERED_NAME_LENGTH = 64


@functools.lru_cache(maxsize=4096)
def _remembered_key(name: str) -> str:
    return normalise_placeholder(name)


def _key_of(name: str) -> str:
    return _remembered_key(name) if len(name) <= _REMEMBERED_NAME_LENGTH else normalise_placeholder(name)


class InsensitiveValues:
    """Personalisation looked up by normalised name; a later key wins over an earlier look-alike."""

    def __init__(self, personalisation: Mapping[str, object]) -> None:
        self._values = {_key_of(key): value for key, value in personalisation.items()}

    def get(self, name: str) -> object | None:
        return self._values.get(normalise_placeholder(name))

    def get_normalised(self, key: str) -> object | None:
        """The value of an already normalised name (see ``normalise_placeholder``)."""
        return self._values.get(key)


def is_yes(value: object) -> bool:
    """Whether a value switches optional content on: yes, y, true, t, 1, include or show."""
    return str(value).strip().lower() in _YES_WORDS


def list_items(value: object) -> list[str] | None:
    """The items of a list value, with None and empty items dropped; None if it is not a list."""
    if not isinstance(value, list | tuple):
        return None
    return [str(item) for item in value if item is not None and str(item) != ""]


def join_with_and(items: Sequence[str]) -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"``, as lists read in text messages and subjects."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def as_markdown_list(items: Sequence[str]) -> str:
    """``["a", "b"]`` → ``"\\n\\n* a\\n* b"``, as lists read in emails and letters."""
    if not items:
        return ""
    return "\n\n" + "\n".join(f"* {item}" for item in items)


def fill_placeholders(
    text: str,
    personalisation: Mapping[str, object],
    *,
    format_list: Callable[[Sequence[str]], str],
    format_value: Callable[[str], str] = str,
) -> str:
    """Replace every placeholder that has a value; leave the ones without a value as written.

    ``format_list`` renders list values; ``format_value`` transforms each plain string value (and
    each list item before ``format_list``), for instance to escape it.
    """
    values = InsensitiveValues(personalisation)

    def replace(written: str, key: str, optional_text: str | None) -> str:
        value = values.get_normalised(key)
        if value is None:
            return written
        if optional_text is not None:
            return optional_text if is_yes(value) else ""
        items = list_items(value)
        if items is not None:
            return format_list([format_value(item) for item in items])
        return format_value(str(value))

    if len(text) > _PLANNED_TEXT_LENGTH:
        return PLACEHOLDER_PATTERN.sub(lambda m: replace(m.group(0), *_parsed(m.group(1))), text)
    literals, holes = _plan(text)
    parts = [literals[0]]
    for (written, key, optional_text), literal in zip(holes, literals[1:], strict=True):
        parts += (replace(written, key, optional_text), literal)
    return "".join(parts)


# Texts up to this long (every template's own text, in practice) have their plan remembered: the
# same few templates are filled for send after send, and a bounded size bounds the memory held.
_PLANNED_TEXT_LENGTH = 20_000


@functools.lru_cache(maxsize=1024)
def _plan(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, str, str | None], ...]]:
    """``text`` cut at its placeholders, as ``PLACEHOLDER_PATTERN.sub`` finds them: the text around
    them (one more than there are placeholders), and each as written, with its key and optional
    text."""
    literals: list[str] = []
    holes: list[tuple[str, str, str | None]] = []
    at = 0
    for match in PLACEHOLDER_PATTERN.finditer(text):
        literals.append(text[at : match.start()])
        holes.append((match.group(0), *_parsed(match.group(1))))
        at = match.end()
    literals.append(text[at:])
    return tuple(literals), tuple(holes)
