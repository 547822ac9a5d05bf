"""Text the admin API stores, checked like the public API's: no control characters (they can hide
text, break CSV exports and logs, or end up in an email header), and inbound numbers that are
numbers. A refusal is the admin API's 400 in Notify's error envelope."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

_MULTI_LINE_ALLOWED = frozenset("\n\r\t")
_INBOUND_NUMBER = re.compile(r"^\+?[0-9]+$")


def _control_characters(value: str, allowed: frozenset[str] = frozenset()) -> str:
    found = {f"U+{ord(c):04X}" for c in value if unicodedata.category(c) == "Cc" and c not in allowed}
    return ", ".join(sorted(found))


def single_line(value: str) -> str:
    found = _control_characters(value)
    if found:
        raise ValueError(f"must not contain control characters ({found})")
    return value


def multi_line(value: str) -> str:
    found = _control_characters(value, _MULTI_LINE_ALLOWED)
    if found:
        raise ValueError(f"must not contain control characters other than newlines and tabs ({found})")
    return value


def inbound_number(value: str) -> str:
    if not _INBOUND_NUMBER.match(value):
        raise ValueError("must be digits, optionally with a leading +")
    return value


SingleLine = Annotated[str, AfterValidator(single_line)]
MultiLine = Annotated[str, AfterValidator(multi_line)]
InboundNumberText = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(inbound_number)]
