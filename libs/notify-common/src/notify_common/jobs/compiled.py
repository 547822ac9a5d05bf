"""A template compiled once per file, so each row only fills in its values.

``render_sms`` and ``missing_personalisation`` are general: for every message they find the
placeholders with a regular expression, build a case-insensitive view of the personalisation, and
sanitise and count every character in Python. A job renders one template with one set of columns
100,000 times, so here that work is done once:

* ``Columns`` decides, from the file's headings, which column fills each placeholder (the same
  winner ``InsensitiveValues`` would pick: rows always carry every heading, in heading order);
* ``CompiledText`` is a text cut into its static parts and placeholder slots;
* ``CompiledSms`` fills the slots and sanitises, normalises and counts with regular expressions
  run in C, falling back to the general functions only for characters that need downgrading.

The results are exactly ``render_sms``'s (``tests/unit/common/test_compiled_templates.py`` compares
them on generated templates and values); the general functions stay the reference.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from notify_common.templates import (
    PLACEHOLDER_PATTERN,
    MessageEmptyError,
    MessageTooLongError,
    Placeholder,
    is_yes,
    normalise_placeholder,
    normalise_sms_whitespace,
    sanitise_sms,
)
from notify_common.templates.sms import (
    ALLOWED_CHARACTERS,
    GSM_CHARACTERS,
    GSM_EXTENDED_CHARACTERS,
    GSM_PER_FRAGMENT,
    GSM_SINGLE_FRAGMENT,
    SMS_CHAR_LIMIT,
    UCS2_PER_FRAGMENT,
    UCS2_SINGLE_FRAGMENT,
)


def _only(characters: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(characters)) + "]*")


_ALLOWED = _only(ALLOWED_CHARACTERS)
_GSM = _only(GSM_CHARACTERS)
_EXTENDED = tuple(GSM_EXTENDED_CHARACTERS)


class Columns:
    """Which heading (as written) fills a placeholder, by the placeholder's normalised name."""

    def __init__(self, headings: Sequence[str]) -> None:
        # Rows carry each distinct non-empty heading once, in order of first appearance; among
        # headings that normalise alike, the later one wins (as in ``InsensitiveValues``).
        self._by_key: dict[str, str] = {}
        for heading in dict.fromkeys(h for h in headings if h):
            self._by_key[normalise_placeholder(heading)] = heading

    def heading_for(self, name: str) -> str | None:
        return self._by_key.get(normalise_placeholder(name))

    def required(self, texts: Sequence[str]) -> list[tuple[str, str | None]]:
        """(name as written, its column) for every placeholder of ``texts``, once per name."""
        seen: set[str] = set()
        found: list[tuple[str, str | None]] = []
        for text in texts:
            for match in PLACEHOLDER_PATTERN.finditer(text):
                placeholder = Placeholder.from_body(match.group(1))
                if placeholder.key not in seen:
                    seen.add(placeholder.key)
                    found.append((placeholder.name, self.heading_for(placeholder.name)))
        return found


def missing_in(required: Sequence[tuple[str, str | None]], cells: Mapping[str, str | None]) -> list[str]:
    """``missing_personalisation`` for a row, given ``Columns.required`` of the template's texts."""
    return [name for name, heading in required if heading is None or cells.get(heading) is None]


@dataclass(frozen=True)
class _Slot:
    written: str  # "((name))" as in the template: kept when the row has no value
    heading: str | None
    optional_text: str | None


class CompiledText:
    """``fill_placeholders`` for rows of one file, with their values as plain strings."""

    def __init__(self, text: str, columns: Columns) -> None:
        self._parts: list[str | _Slot] = []
        position = 0
        for match in PLACEHOLDER_PATTERN.finditer(text):
            self._parts.append(text[position : match.start()])
            placeholder = Placeholder.from_body(match.group(1))
            heading = columns.heading_for(placeholder.name)
            self._parts.append(_Slot(match.group(0), heading, placeholder.optional_text))
            position = match.end()
        self._parts.append(text[position:])

    def fill(self, cells: Mapping[str, str | None]) -> str:
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = cells.get(part.heading) if part.heading is not None else None
            if value is None:
                out.append(part.written)
            elif part.optional_text is not None:
                out.append(part.optional_text if is_yes(value) else "")
            else:
                out.append(value)
        return "".join(out)


def sanitise(text: str) -> str:
    """``sanitise_sms``, without looking at each character when none needs downgrading."""
    return text if _ALLOWED.fullmatch(text) else sanitise_sms(text)


def counts(text: str) -> tuple[int, bool]:
    """``character_count`` of sanitised text, and whether it is GSM."""
    if _GSM.fullmatch(text):
        return len(text) + sum(text.count(c) for c in _EXTENDED), True
    return len(text.encode("utf-16-le")) // 2, False


class CompiledSms:
    """``render_sms(content, values, prefix=prefix)`` for rows of one file: body and fragments."""

    def __init__(self, content: str, columns: Columns, prefix: str | None) -> None:
        self._text = CompiledText(content, columns)
        self._prefix = sanitise(f"{prefix}: ") if prefix else None

    def check(self, cells: Mapping[str, str | None]) -> None:
        """``render``'s refusals (empty, too long) without building the message, for checking a
        whole file. A short text of allowed characters is neither sanitised (nothing to downgrade)
        nor lengthened by normalising (it only removes whitespace), and no character counts more
        than twice: it can only be refused for being empty, which whitespace alone makes it."""
        filled = self._text.fill(cells)
        if 2 * len(filled) <= SMS_CHAR_LIMIT and _ALLOWED.fullmatch(filled):
            if not filled.strip():
                raise MessageEmptyError()
            return
        self.render(cells)

    def render(self, cells: Mapping[str, str | None]) -> tuple[str, int]:
        sanitised = sanitise(self._text.fill(cells))
        without_prefix = normalise_sms_whitespace(sanitised)
        body = normalise_sms_whitespace(self._prefix + sanitised) if self._prefix else without_prefix
        own, _ = counts(without_prefix)  # the limits apply to the message without its prefix
        if own == 0:
            raise MessageEmptyError()
        if own > SMS_CHAR_LIMIT:
            raise MessageTooLongError.for_sms(own)
        count, gsm = counts(body)
        if gsm:
            return body, 1 if count <= GSM_SINGLE_FRAGMENT else math.ceil(count / GSM_PER_FRAGMENT)
        return body, 1 if count <= UCS2_SINGLE_FRAGMENT else math.ceil(count / UCS2_PER_FRAGMENT)
