"""The implicit templates alpha sends go through. The alpha takes raw text, v2 takes a template: so
each service has one hidden template per channel whose body is ``((message))`` (and, for email,
whose subject is ``((subject))``), and an alpha send is that template with the message as its
personalisation. As with precompiled letters (``presenters.precompiled_template_id``),
the template is not a row: its id is derived from the service id (uuid5) and it is version 1, so it
never shows in ``GET /v2/templates`` and no one can edit or archive it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from notify_common.service_config import Template

ALPHA_NAMESPACE = uuid.UUID("0c5e3a57-4d0e-4f43-9a43-8f1f3f0a7a11")
MESSAGE = "message"
SUBJECT = "subject"
CREATED_AT = datetime(2015, 11, 3, tzinfo=UTC)  # the alpha's era; the template never changes


def implicit_template_id(service_id: str, channel: str) -> str:
    return str(uuid.uuid5(ALPHA_NAMESPACE, f"{service_id}/alpha/{channel}"))


def implicit_template(service_id: str, channel: str) -> Template:
    return Template(
        id=implicit_template_id(service_id, channel),
        service_id=service_id,
        version=1,
        name=f"Alpha API {channel} (implicit)",
        template_type=channel,
        subject=f"(({SUBJECT}))" if channel == "email" else None,
        content=f"(({MESSAGE}))",
        postage=None,
        archived=False,
        created_at=CREATED_AT,
        updated_at=None,
        created_by=None,
        letter_contact_block=None,
    )
