"""What a CSV job is sent with: the sending service, the pinned template version and the limits.

Plain frozen values, no I/O; ``notify_common.jobs.config`` loads them from PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from notify_common.branding import DEFAULT_SEND_BRANDING, SendBranding
from notify_common.events import Channel
from notify_common.templates.languages import LanguageVariant, TemplateLanguages

DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_ERRORS_REPORTED = 20
REFERENCE_MAX_LENGTH = 1000

# How a channel's messages are named in messages to people, as Notify words them.
CHANNEL_WORDS = {Channel.SMS: "text messages", Channel.EMAIL: "emails", Channel.LETTER: "letters"}


@dataclass(frozen=True)
class CsvLimits:
    """How big a file may be. Notify's defaults; raise them per deployment or per service."""

    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        if self.max_rows < 1 or self.max_bytes < 1:
            raise ValueError("CSV limits must be positive")


@dataclass(frozen=True)
class SendingService:
    """The parts of a service a job's rows are checked and rendered with."""

    id: str
    name: str
    active: bool = True
    restricted: bool = False
    prefix_sms: bool = True
    sms_sender: str = "GOVUK"
    email_from: str = ""
    reply_to: str | None = None
    permissions: frozenset[str] = frozenset({"sms", "email", "letter"})
    # Who a restricted (trial mode) service, or a team key, may send to: normalised numbers and
    # lower-cased email addresses of the team members and the guest list.
    allowed_recipients: frozenset[str] = field(default_factory=frozenset)
    daily_limits: dict[str, int] = field(default_factory=dict)  # sms | email | letter | international_sms
    annual_limits: dict[str, int] = field(default_factory=dict)  # sms | email | letter, per financial year
    branding: SendBranding = DEFAULT_SEND_BRANDING

    def may(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class JobTemplate:
    """One version of a template, the one the job was created with."""

    id: str
    version: int
    channel: Channel
    content: str
    subject: str | None = None
    postage: str | None = None
    archived: bool = False
    letter_contact_block: str | None = None
    has_unsubscribe_link: bool = False
    # ``subject`` and ``content`` are in ``languages.default``; a row may ask for another language.
    languages: TemplateLanguages = field(default_factory=TemplateLanguages)
    # A bilingual letter's Welsh subject and content, printed first; None for a letter in English.
    welsh: tuple[str, str] | None = None

    @property
    def texts(self) -> list[str]:
        """The texts whose placeholders every row in the default language must fill."""
        return self.texts_of(self.default_variant)

    @property
    def default_variant(self) -> LanguageVariant:
        return LanguageVariant(self.languages.default, self.content, self.subject)

    def texts_of(self, variant: LanguageVariant) -> list[str]:
        """The texts whose placeholders a row in ``variant``'s language must fill."""
        if self.channel == Channel.SMS:
            return [variant.content]
        return [variant.subject or "", variant.content, *(self.welsh or ())]
