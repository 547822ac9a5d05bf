"""A service's email and letter branding as a send carries it (pure rules, and the one query that
loads it for whoever accepts sends: the api-gateway and the job-splitter).

The admin-api keeps the pools and each service's choice (``notify_common.db.tables_branding``);
what a send needs of them travels in ``EmailRequested`` and ``LetterRequested``, so the senders
never read the admin-api's tables and a change applies to the next send accepted.

The email branding types are ``notify_common.brand_types``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.brand_types import GOVUK, NONE
from notify_common.db.tables_branding import email_branding, letter_branding, service_branding

DEFAULT_BUCKET = "notify-branding"


@dataclass(frozen=True)
class SendBranding:
    """What a send carries of its service's branding; the defaults are GOV.UK's for email and no
    logo for letters."""

    email_type: str = GOVUK
    email_name: str | None = None
    email_colour: str | None = None
    email_text: str | None = None
    email_logo: str | None = None  # the logo's key in the branding bucket
    letter_logo: str | None = None  # likewise

    def email_fields(self) -> dict[str, Any]:
        """The ``EmailRequested`` fields."""
        return {
            "branding_type": self.email_type,
            "branding_name": self.email_name,
            "branding_colour": self.email_colour,
            "branding_text": self.email_text,
            "branding_logo": self.email_logo,
        }

    def letter_fields(self) -> dict[str, Any]:
        """The ``LetterRequested`` fields."""
        return {"letter_logo": self.letter_logo}


DEFAULT_SEND_BRANDING = SendBranding()


async def load_send_branding(conn: AsyncConnection, service_id: str) -> SendBranding:
    """The service's branding now, in one query."""
    row = (
        await conn.execute(
            select(
                service_branding.c.no_email_branding,
                email_branding.c.brand_type,
                email_branding.c.name,
                email_branding.c.colour,
                email_branding.c.text,
                email_branding.c.logo,
                letter_branding.c.logo.label("letter_logo"),
            )
            .select_from(
                service_branding.outerjoin(
                    email_branding, email_branding.c.id == service_branding.c.email_branding_id
                ).outerjoin(letter_branding, letter_branding.c.id == service_branding.c.letter_branding_id)
            )
            .where(service_branding.c.service_id == service_id)
        )
    ).first()
    if row is None:
        return DEFAULT_SEND_BRANDING
    if row.no_email_branding:
        email: dict[str, Any] = {"email_type": NONE}
    elif row.brand_type is None:
        email = {}
    else:
        email = {
            "email_type": row.brand_type,
            "email_name": row.name,
            "email_colour": row.colour,
            "email_text": row.text,
            "email_logo": row.logo,
        }
    return SendBranding(**email, letter_logo=row.letter_logo)
