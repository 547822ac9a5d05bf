"""``sanitise_content_for``: personalisation values made safe to put in an email.

For each named key, links are removed, "accidental" links (``example.com``) are broken up as
``example. com``, and the Markdown characters are backslash-escaped. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_ACCIDENTAL_LINK = re.compile(r"\b([a-zA-Z0-9-]+)\.([a-zA-Z]{2,}[a-zA-Z0-9.-]*)")
_MARKDOWN = re.compile(r"([\\`*_(){}\[\]<>#+\-.!|])")


def sanitise_value(value: str) -> str:
    without_links = _URL.sub("", value)
    broken = _ACCIDENTAL_LINK.sub(r"\1. \2", without_links)
    return _MARKDOWN.sub(r"\\\1", broken)


def sanitise_personalisation(
    personalisation: Mapping[str, Any], keys: list[str] | None
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The personalisation with the named string values sanitised, and a report of what changed."""
    if not keys:
        return dict(personalisation), {}
    wanted = {_insensitive(k) for k in keys}
    out: dict[str, Any] = {}
    report: dict[str, dict[str, str]] = {}
    for key, value in personalisation.items():
        if isinstance(value, str) and _insensitive(key) in wanted:
            cleaned = sanitise_value(value)
            if cleaned != value:
                report[key] = {"unsanitised": value, "sanitised": cleaned}
            out[key] = cleaned
        else:
            out[key] = value
    return out, report


def _insensitive(key: str) -> str:
    return "".join(c for c in key.lower() if c not in " _-")
