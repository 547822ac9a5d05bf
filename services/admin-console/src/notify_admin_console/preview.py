"""Template previews with ``notify_common.templates`` (pure rendering, no database): the message
with its placeholders shown, the SMS character and fragment counts, and the placeholders to fill."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notify_common.templates import (
    SMS_CHAR_LIMIT,
    placeholders,
    render_email,
    render_letter,
    render_sms,
)


def placeholder_names(values: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for text in (values.get("subject") or "", values.get("content") or ""):
        for name in placeholders(text):
            if name not in names:
                names.append(name)
    return names


def preview(
    values: Mapping[str, Any], service: Mapping[str, Any], personalisation: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """What a template looks like; placeholders stay visible as ((name)) unless filled."""
    kind = values.get("template_type") or "sms"
    content = values.get("content") or ""
    subject = values.get("subject") or ""
    names = placeholder_names(values)
    filled = dict(personalisation or {})
    shown = {name: filled.get(name, f"(({name}))") for name in names}
    out: dict[str, Any] = {"template_type": kind, "placeholders": names}
    if kind == "sms":
        prefix = service.get("name") if service.get("prefix_sms") else None
        rendered = render_sms(content, shown, prefix=prefix, check_limits=False)
        out.update(
            body=rendered.body,
            fragment_count=rendered.fragment_count,
            character_count=rendered.character_count,
            too_long=rendered.character_count > SMS_CHAR_LIMIT,
            limit=SMS_CHAR_LIMIT,
            prefix=prefix,
        )
    elif kind == "email":
        email = render_email(subject, content, shown, check_limits=False)
        out.update(subject=email.subject, html=email.html)
    else:
        letter = render_letter(subject, content, shown)
        out.update(subject=letter.subject, body=letter.body)
    return out
