"""The template form's languages (docs/languages.md): the template's own language, its other
languages' texts, and for letters the Welsh part printed before the English.

The form has one group of fields per variant (``variant-<n>-language``, ``-subject``, ``-content``)
and one blank group to add another; a group whose language is cleared is removed. Pure: form
values in, the admin API's fields (or the form's values) out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_VARIANT_FIELD = re.compile(r"^variant-(\d+)-(language|subject|content)$")
LETTER_LANGUAGES = (
    ("english", "English only", None),
    (
        "welsh_then_english",
        "Welsh then English",
        "The Welsh part is printed first; the English starts on a new page",
    ),
)


def form_variants(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """The variant groups as typed, in order, without blank ones."""
    groups: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        match = _VARIANT_FIELD.match(name)
        if match:
            groups.setdefault(int(match.group(1)), {})[match.group(2)] = str(value)
    found = [groups[n] for n in sorted(groups)]
    return [g for g in found if any((g.get(k) or "").strip() for k in ("language", "subject", "content"))]


def form_values(template: Mapping[str, Any]) -> dict[str, Any]:
    """The form's language fields for a stored template (as the admin API's console reads give it)."""
    stored = template.get("language_variants") or {}
    values: dict[str, Any] = {
        "language": template.get("language") or "en",
        "letter_languages": template.get("letter_languages") or "english",
        "letter_welsh_subject": template.get("letter_welsh_subject") or "",
        "letter_welsh_content": template.get("letter_welsh_content") or "",
    }
    for n, (tag, texts) in enumerate(sorted(stored.items())):
        values[f"variant-{n}-language"] = tag
        values[f"variant-{n}-subject"] = texts.get("subject") or ""
        values[f"variant-{n}-content"] = texts.get("content") or ""
    return values


def shown_variants(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """The groups the form shows: those typed or stored, then one blank to add a language."""
    return [*form_variants(values), {"language": "", "subject": "", "content": ""}]


def form_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """What the form itself refuses before asking the admin API (which checks the tags)."""
    errors: dict[str, str] = {}
    for n, group in enumerate(form_variants(values)):
        if not group.get("language"):
            errors[f"variant-{n}-language"] = "Enter the language of these texts, for example cy"
        elif not group.get("content"):
            errors[f"variant-{n}-content"] = f"Enter the message in {group['language']}"
    if values.get("template_type") == "letter" and values.get("letter_languages") == "welsh_then_english":
        if not values.get("letter_welsh_subject"):
            errors["letter_welsh_subject"] = "Enter a heading in Welsh"
        if not values.get("letter_welsh_content"):
            errors["letter_welsh_content"] = "Enter the letter in Welsh"
    return errors


def api_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The admin API's language fields for the template the form describes."""
    kind = values.get("template_type")
    fields: dict[str, Any] = {
        "language": values.get("language") or "en",
        "variants": {
            g["language"]: {
                "content": g.get("content") or "",
                "subject": (g.get("subject") or None) if kind != "sms" else None,
            }
            for g in form_variants(values)
        },
    }
    if kind == "letter":
        welsh = values.get("letter_languages") == "welsh_then_english"
        fields["letter_languages"] = "welsh_then_english" if welsh else "english"
        if welsh:
            fields["letter_welsh_subject"] = values.get("letter_welsh_subject")
            fields["letter_welsh_content"] = values.get("letter_welsh_content")
    return fields
