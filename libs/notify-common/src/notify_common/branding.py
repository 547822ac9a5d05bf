"""A service's email and letter branding as a send carries it (pure rules; whoever accepts sends,
the api-gateway and the job-splitter, loads it with the rest of the service's configuration:
``notify_common.service_config.load_send_branding``).

The admin-api keeps the pools and each service's choice (``notify_admin_api.tables.brandings``);
what a send needs of them travels in ``EmailRequested`` and ``LetterRequested``, so the senders
never read the admin-api's tables and a change applies to the next send accepted.

The email branding types are ``notify_common.brand_types``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notify_common.brand_types import GOVUK

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
